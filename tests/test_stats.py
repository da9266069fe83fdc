"""The stats service equals a brute-force recount from raw answers, whatever the data (hypothesis)."""

import math
from collections import defaultdict
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from survey.extensions import db
from survey.models import Community, Response, StatsDay, StatsGain, StatsItem
from survey.questionnaire import services
from survey.questionnaire.scoring import key_for, score
from survey.stats.intervals import wilson
from survey.stats.services import scope_stats


def raw_answers(version, pattern):
    """Answer every item: pattern[i] picks right (True) or a wrong/other option (False)."""
    raw = {}
    for index, item in enumerate(version.items):
        right = pattern[index % len(pattern)]
        if not item.is_required and not right:
            continue
        if item.question_type == "fillin":
            raw[item.id] = item.accepted_answers[0].text if right else "nope"
        elif item.question_type == "multiple":
            correct = [o.id for o in item.options if o.is_correct]
            raw[item.id] = correct if right else correct[:1]
        elif item.is_knowledge:
            raw[item.id] = next(o.id for o in item.options if o.is_correct == right)
        else:
            raw[item.id] = item.options[0 if right else -1].id
    return raw


def stored_value(answer):
    if answer.text is not None:
        return answer.text
    if len(answer.option_ids) > 1 or isinstance(answer.value, list):
        return frozenset(answer.option_ids)
    return answer.option_id


def recount(version, community_ids, min_count):
    """Every metric from raw rows in plain Python, re-scoring each stored answer."""
    keys = {item.id: key_for(item) for item in version.items}
    items = {item.id: item for item in version.items}
    responses = db.session.scalars(select(Response).where(Response.version_id == version.id)).all()
    counted = [r for r in responses if r.is_counted and r.community_id in community_ids]
    people = len({r.participant_hash for r in counted})
    knowledge = [0, 0]
    metrics = defaultdict(lambda: [0, 0])
    per_item = defaultdict(lambda: [0, 0])
    for response in counted:
        for answer in response.answers:
            verdict = score(keys[answer.item_id], stored_value(answer))
            assert verdict.is_correct == answer.is_correct and verdict.is_positive == answer.is_positive
            item = items[answer.item_id]
            if verdict.is_correct is not None:
                knowledge[0] += verdict.is_correct
                knowledge[1] += 1
                per_item[item.id][0] += verdict.is_correct
                per_item[item.id][1] += 1
            if item.metric:
                metrics[item.metric][0] += bool(verdict.is_positive)
                metrics[item.metric][1] += 1
    scores = [r.knowledge_correct / r.knowledge_total for r in counted]
    assisted = sum(1 for r in counted if r.is_assisted)
    by_participant = defaultdict(list)
    for response in responses:
        by_participant[response.participant_hash].append(response)
    gains = []
    for attempts in by_participant.values():
        first = [r for r in attempts if r.is_counted]
        if len(attempts) >= 2 and first and first[0].community_id in community_ids:
            latest = max(attempts, key=lambda r: r.id)
            gains.append(
                latest.knowledge_correct / latest.knowledge_total
                - first[0].knowledge_correct / first[0].knowledge_total
            )
    return {
        "people": people,
        "knowledge": knowledge,
        "metrics": metrics,
        "per_item": per_item,
        "average": sum(scores) / len(scores) if scores else None,
        "gains": gains,
        "assisted": assisted,
    }


def assert_rate(rate, positive, n, people, min_count):
    assert rate.n == n
    if n == 0:
        assert rate.value is None
    elif people < min_count:
        assert rate.value is None and rate.low is None and rate.suppressed
    else:
        assert math.isclose(rate.value, positive / n)
        low, high = wilson(positive, n)
        assert math.isclose(rate.low, low) and math.isclose(rate.high, high)
        assert rate.low <= rate.value <= rate.high


attempt = st.tuples(
    st.integers(min_value=0, max_value=3),  # community index
    st.integers(min_value=0, max_value=6),  # participant
    st.lists(st.booleans(), min_size=1, max_size=5),  # right/wrong pattern
    st.booleans(),  # answered in assisted mode
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(attempt, max_size=10), min_count=st.integers(min_value=1, max_value=4))
def test_stats_equal_a_brute_force_recount(ctx, version, attempts, min_count):
    for model in (StatsDay, StatsItem, StatsGain):
        db.session.execute(delete(model))
    db.session.execute(delete(Response))
    db.session.commit()
    from survey.campaign import get_campaign

    campaign = get_campaign()
    campaign.min_count = min_count
    db.session.commit()
    communities = db.session.scalars(select(Community).order_by(Community.id)).all()[:4]
    for community_index, participant, pattern, assisted in attempts:
        # A participant's retakes stay in the community of the first attempt, as on a real phone.
        services.submit(
            version,
            communities[community_index].id,
            services.participant_hash(f"p{participant}"),
            services.new_public_id(),
            raw_answers(version, pattern),
            assisted=assisted,
        )
    everyone = {c.id for c in db.session.scalars(select(Community))}
    units = []
    # Both paths: the rollups (no date range) and the raw aggregates (a range that covers everything).
    for result in (scope_stats(version.id), scope_stats(version.id, since=date(2000, 1, 1))):
        units += [(result.district, everyone)] + [(stats, {c.id}) for c, stats in result.communities]
    for stats, ids in units:
        expected = recount(version, ids, min_count)
        people = expected["people"]
        assert stats.participants == people
        assert stats.assisted == expected["assisted"]
        assert_rate(stats.knowledge_awareness, *expected["knowledge"], people, min_count)
        for name, attribute in [
            ("awareness", "campaign_awareness"),
            ("support", "support"),
            ("satisfaction", "satisfaction"),
        ]:
            assert_rate(getattr(stats, attribute), *expected["metrics"][name], people, min_count)
        for item, rate in stats.questions:
            correct, answered = expected["per_item"][item.id]
            assert_rate(rate, correct, answered, answered, min_count)
        if people >= min_count and expected["average"] is not None:
            assert math.isclose(stats.average_score.value, expected["average"])
        else:
            assert stats.average_score.value is None
        gains = expected["gains"]
        assert stats.learning_gain.n == len(gains)
        if len(gains) >= min_count:
            assert math.isclose(stats.learning_gain.value, sum(gains) / len(gains), abs_tol=1e-12)
        else:
            assert stats.learning_gain.value is None


def test_rollups_can_be_rebuilt_from_raw_answers(ctx, version, runner):
    communities = db.session.scalars(select(Community).order_by(Community.id)).all()
    for number in range(12):
        services.submit(
            version,
            communities[number % 3].id,
            services.participant_hash(f"r{number % 8}"),
            services.new_public_id(),
            raw_answers(version, [number % 2 == 0, True]),
            assisted=number % 3 == 1,
        )
    before = scope_stats(version.id)
    from survey.stats.rollup import rebuild

    rebuild()
    after = scope_stats(version.id)

    def figures(result):
        units = [result.district] + [stats for _, stats in result.communities]
        return [
            (
                stats.participants,
                stats.assisted,
                [(rate.value, rate.n) for _, rate in stats.rate_fields()],
                [(item.id, rate.value, rate.n) for item, rate in stats.questions],
            )
            for stats in units
        ]

    assert _close(figures(after), figures(before))
    # Counted attempts 1, 4 and 7 (all in community 1) were assisted; 10 was assisted but is a retake.
    assert after.district.assisted == 3
    assert {c.id: stats.assisted for c, stats in after.communities if stats.assisted} == {communities[1].id: 3}


def _close(left, right):
    """Structural equality with a tolerance for floats (sums may be added in another order)."""
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) or isinstance(right, float):
        return left is not None and right is not None and math.isclose(left, right, abs_tol=1e-12)
    return left == right
