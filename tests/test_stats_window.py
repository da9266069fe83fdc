"""Learning gain over some days or some communities: the first attempt decides where and when it counts, the
latest attempt (whenever it was) what was learnt."""

from datetime import datetime, timedelta

from sqlalchemy import update

from survey.extensions import db
from survey.models import Community, Response
from survey.questionnaire import services
from survey.stats.counts import raw_counts

from .test_stats import raw_answers


def _attempt(version, community, participant, pattern, when):
    response = services.submit(
        version,
        community.id,
        services.participant_hash(participant),
        services.new_public_id(),
        raw_answers(version, pattern),
    )
    db.session.execute(update(Response).where(Response.id == response.id).values(submitted_at=when))
    db.session.commit()
    return response


def test_gain_counts_on_the_first_attempts_day_and_community(version, community):
    other = db.session.query(Community).filter(Community.id != community.id).first()
    monday = datetime(2026, 11, 23, 10)
    first = _attempt(version, community, "ana", [False], monday)
    latest = _attempt(version, community, "ana", [True], monday + timedelta(days=3))  # later, outside Monday
    _attempt(version, other, "ben", [False], monday)
    _attempt(version, other, "ben", [False, True], monday + timedelta(days=1))
    _attempt(version, community, "cai", [True], monday + timedelta(days=1))  # one attempt only: no gain

    def gain(**window):
        counts = raw_counts(version.id, **window)
        return {
            community_id: (c.gain_participants, round(c.gain_sum, 9))
            for community_id, c in counts.items()
            if c.gain_participants
        }

    ana = round(latest.knowledge_correct / latest.knowledge_total - first.knowledge_correct / first.knowledge_total, 9)
    assert ana > 0
    whole = gain()
    assert whole[community.id] == (1, ana) and other.id in whole
    on_monday = gain(since=monday.date(), until=monday.date())
    assert on_monday == whole  # both first attempts were on Monday; ana's latest on Thursday still counts
    assert gain(since=(monday + timedelta(days=1)).date()) == {}  # no first attempt after Monday
    assert gain(community_ids=[community.id]) == {community.id: (1, ana)}
    assert gain(community_ids=[other.id], since=monday.date()) == {other.id: whole[other.id]}
