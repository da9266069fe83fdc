"""The command-line tools: seed-demo and simulate-responses, including bad arguments."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Community, Response
from survey.questionnaire import services
from survey.questionnaire.scoring import coerce, key_for, score
from survey.questionnaire.services import current_version


def test_seed_demo_refuses_a_database_with_content(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already has content" in result.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0


def test_seed_demo_builds_a_district(app):
    with app.app_context():
        communities = db.session.scalars(select(Community)).all()
        version = services.current_version()
        assert len(communities) >= 8
        assert len({c.street_id for c in communities}) >= 2
        assert all(c.target_population and c.target_share for c in communities)
        assert version.number == 1 and 25 <= len(version.items) <= 35
        kinds = {(item.kind, item.question_type) for item in version.items}
        assert {("knowledge", t) for t in ("single", "multiple", "truefalse", "fillin")} <= kinds
        assert {item.metric for item in version.items} >= {"awareness", "support", "satisfaction"}
        assert any(item.kind == "participation" for item in version.items)
        for item in version.items:
            assert item.tr("text", "zh") and item.tr("text", "en")
            if item.is_knowledge:
                assert item.tr("explanation", "zh") and item.tr("explanation", "en")
                assert any(o.is_correct for o in item.options) or item.accepted_answers
            if item.metric:
                assert any(o.is_positive for o in item.options)


def test_simulate_responses_stores_scored_responses(runner, app):
    result = runner.invoke(args=["simulate-responses", "--count", "300", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Stored 300 responses" in result.output
    with app.app_context():
        stored = db.session.scalars(select(Response)).all()
        assert len(stored) == 300
        counted = [r for r in stored if r.is_counted]
        assert len(counted) == len({r.participant_hash for r in stored})  # one counted attempt per participant
        assert len(counted) < 300  # some were retakes
        keys = {item.id: key_for(item) for item in current_version().items}
        now = datetime.now(UTC).replace(tzinfo=None)
        for response in stored:
            # Every stored answer scores the same when the real scorer reads it back from the database.
            assert response.knowledge_correct == sum(1 for a in response.answers if a.is_correct)
            for answer in response.answers:
                key = keys[answer.item_id]
                raw = (
                    answer.text
                    if key.question_type == "fillin"
                    else list(answer.option_ids)
                    if key.question_type == "multiple"
                    else answer.option_id
                )
                verdict = score(key, coerce(key, raw))
                assert (answer.is_correct, answer.is_positive) == (verdict.is_correct, verdict.is_positive)
            assert now - timedelta(days=31) < response.submitted_at <= now


def test_simulate_responses_for_one_community(runner, app):
    result = runner.invoke(args=["simulate-responses", "--count", "20", "--community", "songlin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        codes = db.session.scalars(select(Community.code).join(Response, Response.community_id == Community.id)).all()
        assert set(codes) == {"songlin"}


def test_simulate_responses_refuses_bad_arguments(runner, app):
    for args, message in [
        (["--count", "0"], "--count"),
        (["--count", "abc"], "--count"),
        (["--count", "5", "--community", "atlantis"], "no community"),
        ([], "--count"),
    ]:
        result = runner.invoke(args=["simulate-responses", *args])
        assert result.exit_code == 2, args
        assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_stats_check_and_rebuild(runner, app):
    assert runner.invoke(args=["simulate-responses", "--count", "40", "--seed", "3"]).exit_code == 0
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output
    from survey.models import StatsItem

    with app.app_context():
        row = db.session.scalars(select(StatsItem)).first()
        row.correct += 1  # simulate drift
        db.session.commit()
    assert runner.invoke(args=["stats", "check"]).exit_code == 1
    assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["stats", "check"]).exit_code == 0
    # Audited: the entry is how other server processes learn that the figures changed (survey.stats.cache).
    from survey.models import AuditEntry

    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "stats.rebuild"))
            == 1
        )
