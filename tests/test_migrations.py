"""The Alembic migrations build exactly the schema the models describe, and 0007 recounts the days."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from survey.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        assert "response" in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []


def _day_rows():
    from survey.models import StatsDay

    db.session.commit()  # a fresh read, and no transaction left open while a migration runs
    return [
        (
            row.version_id,
            row.community_id,
            row.day,
            row.participants,
            row.scored_attempts,
            pytest.approx(row.score_sum),
            pytest.approx(row.score_squares),
            row.knowledge_correct,
            row.knowledge_answers,
            row.assisted,
        )
        for row in db.session.scalars(
            select(StatsDay).order_by(StatsDay.version_id, StatsDay.community_id, StatsDay.day)
        )
    ]


def _rebuilt_in(app, zone):
    from survey.stats import rollup

    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    rollup.rebuild()
    return _day_rows()


def test_0007_recounts_the_daily_rollup_in_local_days_and_back(app, monkeypatch):
    """Upgrading to 0007 gives the days a rebuild gives in TIMEZONE; the downgrade gives UTC days back."""
    from survey.demo import load_demo
    from survey.localtime import local_day
    from survey.models import Response
    from survey.simulate import simulate_responses
    from tests.conftest import drop_every_table

    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    with app.app_context():
        drop_every_table()
        upgrade()
        load_demo()
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
        simulate_responses(300, seed=6, days=3)
        moments = db.session.scalars(select(Response.submitted_at).where(Response.is_counted.is_(True))).all()
        assert any(local_day(moment) != moment.date() for moment in moments)
        in_utc = _rebuilt_in(app, "UTC")
        in_beijing = _rebuilt_in(app, "Asia/Shanghai")
        in_new_york = _rebuilt_in(app, "America/New_York")
        assert in_beijing != in_utc and in_new_york != in_utc
        _rebuilt_in(app, "Asia/Shanghai")

        downgrade(revision="0006")
        assert _day_rows() == in_utc
        upgrade()
        assert _day_rows() == in_beijing
        downgrade(revision="0006")
        monkeypatch.setenv("TIMEZONE", "America/New_York")
        upgrade()
        assert _day_rows() == in_new_york

        # Rollups never built stay unbuilt (a rebuild builds them all), both ways.
        db.session.execute(text("DELETE FROM stats_day"))
        db.session.commit()
        downgrade(revision="0006")
        upgrade()
        assert _day_rows() == []
