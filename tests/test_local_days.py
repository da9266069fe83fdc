"""Every day in the product is the district's local day (TIMEZONE), though times are stored as naive UTC.

A resident answering at 01:30 in Beijing on 27 November (17:30 UTC on the 26th) answered on 27 November:
the daily rollup, the trend, the date windows, a rebuild, the simulator and the audit log's filter all agree.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from survey import config, create_app, localtime
from survey.campaign import days_to_inspection
from survey.extensions import db
from survey.models import AuditEntry, Community, Response, StatsDay, StatsGain, StatsItem, unpack_answers
from survey.questionnaire import services
from survey.simulate import simulate_responses
from survey.stats import rollup
from survey.stats.counts import raw_counts
from survey.stats.trend import daily

from .test_stats import raw_answers

LATE = datetime(2026, 11, 26, 17, 30)  # 01:30 on 27 November in Beijing
EN = {"Accept-Language": "en"}


@pytest.fixture
def district_zone(app):
    def use(name):
        app.config["BABEL_DEFAULT_TIMEZONE"] = name

    use("Asia/Shanghai")
    return use


def _submit_at(monkeypatch, version, community_id, participant, pattern, when, assisted=False):
    monkeypatch.setattr(services, "utcnow", lambda: when)
    return services.submit(
        version,
        community_id,
        services.participant_hash(participant),
        services.new_public_id(),
        raw_answers(version, pattern),
        assisted=assisted,
    )


def _day_rows():
    rows = db.session.execute(select(StatsDay).order_by(StatsDay.version_id, StatsDay.community_id, StatsDay.day))
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
        for row in rows.scalars()
    ]


def _other_rows():
    items = sorted(
        tuple(row)
        for row in db.session.execute(
            select(
                StatsItem.version_id,
                StatsItem.community_id,
                StatsItem.item_id,
                StatsItem.answered,
                StatsItem.scored,
                StatsItem.correct,
                StatsItem.rated,
                StatsItem.positive,
            )
        )
    )
    gains = sorted(
        (row[0], row[1], row[2], pytest.approx(row[3]), pytest.approx(row[4]))
        for row in db.session.execute(
            select(
                StatsGain.version_id,
                StatsGain.community_id,
                StatsGain.participants,
                StatsGain.gain_sum,
                StatsGain.gain_squares,
            )
        )
    )
    return items, gains


def test_an_answer_late_in_the_utc_day_counts_on_the_local_next_day(district_zone, version, community, monkeypatch):
    _submit_at(monkeypatch, version, community.id, "early-riser", [True], LATE)
    assert [(row[1], row[2], row[3]) for row in _day_rows()] == [(community.id, date(2026, 11, 27), 1)]
    assert [day for day, *_ in daily(version.id)] == [date(2026, 11, 27)]
    assert daily(version.id, since=date(2026, 11, 27), until=date(2026, 11, 27))[0][1] == 1
    assert daily(version.id, until=date(2026, 11, 26)) == []

    def people(since=None, until=None):
        return sum(counts.participants for counts in raw_counts(version.id, since=since, until=until).values())

    assert people(since=date(2026, 11, 27)) == 1
    assert people(since=date(2026, 11, 27), until=date(2026, 11, 27)) == 1
    assert people(until=date(2026, 11, 26)) == 0
    assert people(since=date(2026, 11, 26), until=date(2026, 11, 26)) == 0
    assert people(since=date(2026, 11, 28)) == 0
    # Whole-campaign figures (the rollups) and a window covering every day (a recount) agree.
    assert people(since=date(2026, 11, 1), until=date(2026, 11, 30)) == people() == 1


def test_a_window_is_local_midnight_to_local_midnight(district_zone, version, community, monkeypatch):
    # 16:00 UTC is local midnight in Beijing: the last moment before it is the 26th, from it the 27th.
    _submit_at(monkeypatch, version, community.id, "a", [True], datetime(2026, 11, 26, 15, 59, 59, 999999))
    _submit_at(monkeypatch, version, community.id, "b", [True], datetime(2026, 11, 26, 16, 0))
    counted = {day: people for day, people, *_ in daily(version.id)}
    assert counted == {date(2026, 11, 26): 1, date(2026, 11, 27): 1}
    for day in (date(2026, 11, 26), date(2026, 11, 27)):
        assert raw_counts(version.id, since=day, until=day)[community.id].participants == 1


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kathmandu", "UTC"])
def test_a_rebuild_gives_the_rows_the_submissions_gave(district_zone, version, monkeypatch, zone):
    district_zone(zone)
    communities = db.session.scalars(select(Community.id).order_by(Community.id)).all()[:3]
    # Around local and UTC midnights, and across New York's switch back to standard time (1 November 2026).
    moments = [datetime(2026, 10, 31, 3) + timedelta(minutes=47 * number) for number in range(40)]
    moments += [datetime(2026, 11, 26, 15, 45) + timedelta(minutes=10 * number) for number in range(12)]
    for number, when in enumerate(moments):
        participant = f"p{number % 37}" if number < 40 else f"q{number}"  # p0 to p2 take it twice
        _submit_at(
            monkeypatch,
            version,
            communities[number % 3],
            participant,
            [number % 2 == 0, True],
            when,
            assisted=number % 5 == 0,
        )
    db.session.expire_all()
    incremental, other = _day_rows(), _other_rows()
    assert len({row[2] for row in incremental}) >= 3
    rollup.rebuild()
    db.session.expire_all()
    assert _day_rows() == incremental
    assert _other_rows() == other
    # Each response counts on its local day, whatever path counted it.
    expected = {}
    for response in db.session.scalars(select(Response).where(Response.is_counted.is_(True))):
        day = response.submitted_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
        expected[(response.community_id, day)] = expected.get((response.community_id, day), 0) + 1
    assert {(row[1], row[2]): row[3] for row in incremental} == expected


def test_the_simulator_counts_days_as_the_web_path_does(app, district_zone, version):
    simulate_responses(400, seed=4, days=3)
    db.session.expire_all()
    simulated = _day_rows()
    responses = db.session.scalars(select(Response).where(Response.is_counted.is_(True))).all()
    assert any(localtime.local_day(response.submitted_at) != response.submitted_at.date() for response in responses)
    days, _ = rollup.counted_sums(
        [
            (
                {
                    "is_counted": True,
                    "version_id": r.version_id,
                    "community_id": r.community_id,
                    "submitted_at": r.submitted_at,
                    "knowledge_correct": r.knowledge_correct,
                    "knowledge_total": r.knowledge_total,
                    "is_assisted": r.is_assisted,
                },
                [list(answer) for answer in unpack_answers(r.packed_answers)],
            )
            for r in responses
        ]
    )
    web = sorted(
        (
            v,
            c,
            d,
            s["participants"],
            s["scored_attempts"],
            pytest.approx(s["score_sum"]),
            pytest.approx(s["score_squares"]),
            s["knowledge_correct"],
            s["knowledge_answers"],
            s["assisted"],
        )
        for (v, c, d), s in days.items()
    )
    assert simulated == web
    rollup.rebuild()
    db.session.expire_all()
    assert _day_rows() == simulated


@pytest.mark.parametrize(
    "zone",
    ["Asia/Shanghai", "America/New_York", "America/Havana", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/London"],
)
def test_local_days_and_their_bounds_agree(district_zone, ctx, zone):
    """A time is on day d exactly when d's local midnight (in UTC) <= time < the next day's, across DST
    switches (Havana skips midnight itself; Kathmandu moved by a quarter hour in the middle of a UTC hour)."""
    district_zone(zone)
    tz = ZoneInfo(zone)
    # Four days around each switch of these zones in 2026 (and Kathmandu's in 1985), every quarter hour.
    starts = [
        datetime(2026, 3, 6),
        datetime(2026, 3, 27),
        datetime(2026, 4, 3),
        datetime(2026, 10, 2),
        datetime(2026, 10, 23),
        datetime(2026, 10, 30),
        datetime(1985, 12, 30),
    ]
    for start in starts:
        for step in range(4 * 24 * 4 + 1):
            moment = start + timedelta(minutes=15 * step, seconds=step % 7)
            exact = moment.replace(tzinfo=UTC).astimezone(tz).date()
            assert localtime.local_day(moment) == exact
            assert localtime.day_start_utc(exact) <= moment < localtime.day_start_utc(exact + timedelta(days=1))
    assert localtime.today() == datetime.now(tz).date()


def test_day_bounds_in_beijing_and_through_a_skipped_midnight(district_zone, ctx):
    assert localtime.day_start_utc(date(2026, 11, 27)) == datetime(2026, 11, 26, 16, 0)
    assert localtime.local_dates(date(2026, 11, 27), date(2026, 11, 27)) == (
        datetime(2026, 11, 26, 16, 0),
        datetime(2026, 11, 27, 16, 0),
    )
    assert localtime.local_dates(None, None) == (None, None)
    district_zone("America/Havana")  # 8 March 2026: clocks go from 00:00 straight to 01:00
    assert localtime.day_start_utc(date(2026, 3, 8)) == datetime(2026, 3, 8, 5, 0)
    assert localtime.day_start_utc(date(2026, 3, 9)) == datetime(2026, 3, 9, 4, 0)


def test_today_is_the_districts(district_zone, ctx):
    class Campaign:
        inspection_date = None

    campaign = Campaign()
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC−11: never the same date
        district_zone(zone)
        campaign.inspection_date = datetime.now(ZoneInfo(zone)).date() + timedelta(days=10)
        assert days_to_inspection(campaign) == 10


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC−11
def test_the_demo_inspection_day_is_45_days_from_the_districts_today(tmp_path, zone):
    from survey.demo import load_demo
    from survey.models import Campaign
    from tests.conftest import _config

    app = create_app({**_config(f"sqlite:///{tmp_path / 'demo.db'}"), "BABEL_DEFAULT_TIMEZONE": zone})
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
        assert db.session.scalar(select(Campaign.inspection_date)) == (
            datetime.now(ZoneInfo(zone)).date() + timedelta(days=45)
        )
        db.session.remove()
        db.engine.dispose()


def test_the_audit_log_filters_by_local_days(app, auth, client):
    auth.as_role("admin")
    with app.app_context():
        db.session.add(AuditEntry(action="test.late", target_type="test", created_at=LATE))
        db.session.commit()

    def shown(query):
        return "Nothing recorded yet." not in client.get("/admin/audit?action=test.late&" + query, headers=EN).text

    assert shown("since=2026-11-27&until=2026-11-27")
    assert not shown("until=2026-11-26")
    assert not shown("since=2026-11-28")


def test_an_unknown_timezone_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(config.ConfigError, match="TIMEZONE"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x" * 32})
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    assert config.load(tmp_path)["BABEL_DEFAULT_TIMEZONE"] == "Europe/Berlin"
    monkeypatch.delenv("TIMEZONE")
    assert config.load(tmp_path)["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
