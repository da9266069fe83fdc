"""The stats cache: dashboards and the API are served from it, yet always fresh, scoped and bounded."""

import re

import pytest
from sqlalchemy import create_engine, insert, select, update

from survey.extensions import db
from survey.models import AuditEntry, Community, Response, StatsDay
from survey.stats import cache
from survey.stats.cache import StatsCache
from tests.conftest import SurveyDriver, csrf_token

EN = {"Accept-Language": "en"}
COMMUNITY_PAGE = "/admin/dashboard/community/lianhu"
COMMUNITY_API = "/api/v1/communities/lianhu/stats"


@pytest.fixture
def answered(app):
    """Five residents of Lianhu and one of Binhe have answered."""
    for _number in range(5):
        SurveyDriver(app, app.test_client()).complete("lianhu")
    SurveyDriver(app, app.test_client()).complete("binhe")
    return app


def entries(app):
    """The keys held in the application's stats cache."""
    with app.app_context():
        return list(cache.store().entries)


def inner(page):
    """A dashboard without its shell (the shell holds flashed messages and the forms' CSRF tokens)."""
    text = page.text if hasattr(page, "text") else page
    return text[text.index('<header class="dash-head">') : text.index("</main>")]


def page_participants(page):
    """The participants figure of a community dashboard's first card."""
    return int(re.search(r'<p class="stat-value">(\d+)', page.text).group(1))


def ranked_participants(page, name):
    """The participants column of one community's row in the district ranking."""
    row = re.search(rf">{name} Community</a>.*?<td class=\"num\">(\d+)</td>", page.text, re.S)
    return int(row.group(1))


def outside_write(app, statement):
    """Run ``statement`` on a connection of its own: how another process's change looks to this one."""
    seen = cache._generation, cache._structural
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()
    cache._generation, cache._structural = seen  # this process's engine events saw it; another's would not


def lianhu_id(app):
    with app.app_context():
        return db.session.query(Community.id).filter_by(code="lianhu").scalar()


def test_pages_and_api_are_served_from_the_cache(answered, auth, client):
    auth.as_role("district")
    first = client.get(COMMUNITY_PAGE, headers=EN)
    assert first.status_code == 200 and page_participants(first) == 5
    assert any(key[0] == "page" for key in entries(answered))
    again = client.get(COMMUNITY_PAGE, headers=EN)
    assert inner(again) == inner(first)  # the same language: the same figures


def test_a_new_response_shows_on_the_very_next_request(answered, auth, client, runner):
    auth.as_role("district")
    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 5
    assert ranked_participants(client.get("/admin/dashboard/district", headers=EN), "Lianhu") == 5
    secret = _token(runner)
    assert (
        client.get(COMMUNITY_API, headers={"Authorization": f"Bearer {secret}"}).get_json()["community"]["participants"]
        == 5
    )

    SurveyDriver(answered, answered.test_client()).complete("lianhu")

    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 6
    assert ranked_participants(client.get("/admin/dashboard/district", headers=EN), "Lianhu") == 6
    data = client.get(COMMUNITY_API, headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert data["community"]["participants"] == 6 and data["district"]["participants"] == 7


def test_a_response_stored_by_another_process_shows_at_once(answered, auth, client):
    """The data stamp is read from the database, so no in-process signal is needed."""
    auth.as_role("district")
    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 5
    before = cache._generation
    other = SurveyDriver(answered, answered.test_client())
    other.complete("lianhu")
    cache._generation = before  # as if the submission had been handled by another worker
    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 6


def _token(runner, username="district"):
    result = runner.invoke(args=["create-token", "--username", username])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_a_staff_change_in_this_process_shows_at_once(answered, auth, client):
    auth.as_role("district")
    client.get(COMMUNITY_API, headers=EN)
    with answered.app_context():
        db.session.get(Community, lianhu_id(answered)).target_population = 4321
        db.session.commit()  # no audit entry, no new response: the commit itself drops this process's entries
    assert client.get(COMMUNITY_API, headers=EN).get_json()["community"]["population"] == 4321


def test_an_audited_change_from_another_process_shows_at_once(answered, auth, client):
    auth.as_role("district")
    assert "4321" not in client.get(COMMUNITY_PAGE, headers=EN).text
    community_id = lianhu_id(answered)
    generation = cache._generation
    outside_write(answered, update(Community).where(Community.id == community_id).values(target_population=4321))
    outside_write(
        answered,
        insert(AuditEntry).values(action="community.update", target_type="community", target_id=str(community_id)),
    )
    assert cache._generation == generation  # nothing told this process
    assert client.get(COMMUNITY_API, headers=EN).get_json()["community"]["population"] == 4321
    assert "4,321" in client.get(COMMUNITY_PAGE, headers=EN).text


def test_an_unaudited_change_elsewhere_shows_within_the_max_age(answered, auth, client, monkeypatch):
    """``flask stats rebuild`` in another process, or a change made in the database directly."""
    auth.as_role("district")
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    assert client.get(COMMUNITY_API, headers=EN).get_json()["community"]["population"] != 4321
    outside_write(answered, update(Community).where(Community.id == lianhu_id(answered)).values(target_population=4321))
    clock[0] += cache.MAX_AGE / 2
    assert client.get(COMMUNITY_API, headers=EN).get_json()["community"]["population"] != 4321  # still cached
    clock[0] += cache.MAX_AGE
    assert client.get(COMMUNITY_API, headers=EN).get_json()["community"]["population"] == 4321


def test_stats_rebuild_shows_at_once_in_this_process(answered, auth, client, runner):
    auth.as_role("district")
    outside_write(
        answered,
        update(StatsDay)
        .where(StatsDay.community_id == lianhu_id(answered))
        .values(participants=StatsDay.participants + 100),
    )  # a broken rollup, nothing told
    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 105
    assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
    assert page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 5


def test_languages_filters_and_sorting_are_kept_apart(answered, auth, client):
    auth.as_role("district")
    english = client.get(COMMUNITY_PAGE, headers=EN).text
    chinese = client.get(COMMUNITY_PAGE, headers={"Accept-Language": "zh"}).text
    assert "Most-missed questions" in english and "Most-missed questions" not in chinese
    assert inner(client.get(COMMUNITY_PAGE, headers=EN)) == inner(english)

    dated = client.get(COMMUNITY_PAGE + "?since=2000-01-01&until=2000-01-02", headers=EN)
    assert page_participants(dated) == 0 and page_participants(client.get(COMMUNITY_PAGE, headers=EN)) == 5

    by_people = client.get("/admin/dashboard/district?sort=participants", headers=EN).text
    ascending = client.get("/admin/dashboard/district?sort=participants&order=asc", headers=EN).text
    assert by_people.index(">Lianhu Community<") < by_people.index(">Binhe Community<")
    assert ascending.index(">Lianhu Community<") > ascending.index(">Binhe Community<")

    api_en = client.get(COMMUNITY_API + "?lang=en").get_json()
    api_zh = client.get(COMMUNITY_API + "?lang=zh").get_json()
    assert (
        api_en["lang"] == "en" and api_zh["lang"] == "zh" and api_en["community"]["name"] != api_zh["community"]["name"]
    )


def logged_in(app, make_staff, role, username=None):
    """A client of its own, logged in as a new account of ``role`` (a login writes an audit entry, so all
    logins of a test come before its first dashboard request, as for viewers of a warm cache)."""
    make_staff(role, username)
    client = app.test_client()
    login = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": username or role, "password": "correct horse battery", "csrf_token": csrf_token(login.text)},
    )
    assert response.status_code == 302
    return client


def test_viewers_of_different_roles_never_share_a_page(answered, make_staff):
    """The district page of an administrator links the raw export; a district user's must not."""
    district, admin = logged_in(answered, make_staff, "district"), logged_in(answered, make_staff, "admin")
    assert "Raw answers" not in district.get("/admin/dashboard/district", headers=EN).text
    assert "Raw answers" in admin.get("/admin/dashboard/district", headers=EN).text
    assert "Raw answers" not in district.get("/admin/dashboard/district", headers=EN).text


def test_cached_pages_carry_each_users_own_csrf_token_and_name(answered, make_staff):
    first = logged_in(answered, make_staff, "district", "first-district")
    second = logged_in(answered, make_staff, "district", "second-district")
    pages = {
        name: client.get(COMMUNITY_PAGE, headers=EN).text
        for name, client in (("first-district", first), ("second-district", second))
    }
    assert len(entries(answered)) >= 1 and inner(pages["first-district"]) == inner(pages["second-district"])
    assert csrf_token(pages["first-district"]) != csrf_token(pages["second-district"])
    assert "first-district" in pages["first-district"] and "first-district" not in pages["second-district"]
    with answered.app_context():
        for _made_with, _made_at, _size, value in cache.store().entries.values():
            assert "csrf" not in str(value)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("community", "/admin/dashboard/community/binhe"),
        ("community", "/admin/dashboard/district"),
        ("street", "/admin/dashboard/community/binhe"),
        ("street", "/admin/dashboard/street/s-jiangbin"),
        ("community", "/api/v1/communities/binhe/stats"),
        ("street", "/api/v1/communities/binhe/stats"),
    ],
)
def test_out_of_scope_requests_are_refused_even_when_cached(answered, make_staff, role, path):
    district, other = logged_in(answered, make_staff, "district"), logged_in(answered, make_staff, role)
    assert district.get(path, headers=EN).status_code == 200  # now in the cache
    assert district.get(path, headers=EN).status_code == 200
    refused = other.get(path, headers=EN)
    assert refused.status_code == 403
    assert "Binhe" not in refused.text and "Jiangbin" not in refused.text


@pytest.mark.parametrize("credential", ["session", "token"])
def test_the_api_for_a_whole_scope_is_cached_per_scope(answered, make_staff, runner, credential):
    district, community = logged_in(answered, make_staff, "district"), logged_in(answered, make_staff, "community")
    headers = {"district": {}, "community": {}}
    if credential == "token":
        headers = {role: {"Authorization": f"Bearer {_token(runner, role)}"} for role in headers}
        district = community = answered.test_client()
    everyone = district.get("/api/v1/stats", headers=headers["district"]).get_json()
    mine = community.get("/api/v1/stats", headers=headers["community"]).get_json()
    assert len(everyone["communities"]) > 1
    assert [c["code"] for c in mine["communities"]] == ["lianhu"]
    assert len(district.get("/api/v1/stats", headers=headers["district"]).get_json()["communities"]) > 1


def test_the_cache_is_bounded_by_size_and_entries():
    store = StatsCache(max_bytes=1000, max_entries=3)
    for number in range(5):
        store.put(number, "stamp", "x" * 10, 100)
    assert list(store.entries) == [2, 3, 4] and store.size == 300
    store.get(2, "stamp", 10)  # recently used: kept
    store.put("big", "stamp", "y", 600)  # four entries: the least recently used goes
    assert list(store.entries) == [4, 2, "big"] and store.size == 800
    store.put("bigger", "stamp", "y", 700)  # over the bytes: as many go as needed
    assert list(store.entries) == ["bigger"] and store.size == 700
    store.put("huge", "stamp", "z", 5000)  # larger than the whole cache: not kept
    assert "huge" not in store.entries and store.size == 700


def test_an_application_keeps_its_cache_within_its_caps(answered, auth, client):
    answered.config.update(STATS_CACHE_MAX_ENTRIES=3)
    with answered.app_context():
        cache.store().max_entries = 3
    auth.as_role("district")
    for query in ["", "?sort=participants", "?sort=support", "?sort=satisfaction", "?order=asc"]:
        assert client.get("/admin/dashboard/district" + query, headers=EN).status_code == 200
    with answered.app_context():
        assert len(cache.store().entries) <= 3


def test_stale_entries_are_dropped_and_a_zero_max_age_turns_the_cache_off(answered, auth, client):
    answered.config.update(STATS_CACHE_MAX_AGE=0)
    auth.as_role("district")
    client.get(COMMUNITY_PAGE, headers=EN)
    assert not entries(answered)


def test_the_data_stamp_is_one_statement(answered):
    from sqlalchemy import event

    with answered.app_context():
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        newest, _recent, audited = cache.data_stamp()
        assert len(statements) == 1 and newest is not None and audited is None  # nobody logged in yet


def _copy_of(row, label):
    """A practice attempt made from ``row`` (a response's columns) under new ids."""
    copied = {key: value for key, value in row.items() if key != "id"}
    copied.update(public_id=f"{label}-copy".ljust(32, "0"), participant_hash=f"{label}".ljust(64, "0"))
    copied.update(is_counted=False, attempt_number=2)
    return copied


def _insert_response(connection, values):
    return connection.execute(insert(Response.__table__).values(values).returning(Response.id)).scalar()


def test_a_response_committed_after_a_newer_one_is_seen_at_once(answered):
    """PostgreSQL hands out ids before commit, so a slow response can commit after a newer one and leave the
    newest id as it was; what was cached before it committed is worked out again all the same."""
    with answered.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite: one writer at a time, so responses commit in id order")
        row = dict(db.session.execute(select(Response.__table__)).mappings().first())
        db.session.remove()
    seen = cache._generation, cache._structural
    computed = []

    def figures():
        computed.append(cache.data_stamp())
        return "figures"

    engine = create_engine(answered.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as slow, engine.connect() as quick, answered.app_context():
            slow_id = _insert_response(slow, _copy_of(row, "slow"))  # its id first, its commit last
            quick_id = _insert_response(quick, _copy_of(row, "quick"))
            quick.commit()
            cache._generation, cache._structural = seen  # another process's commits: this one's events saw them
            cache.cached(("late commit",), figures)
            cache.cached(("late commit",), figures)
            assert len(computed) == 1  # kept while nothing changed
            slow.commit()
            cache._generation, cache._structural = seen
            cache.cached(("late commit",), figures)
    finally:
        engine.dispose()
    assert slow_id < quick_id
    assert len(computed) == 2, "the slow response committed, and the cached value was served all the same"
    before, after = computed
    assert before[0] == after[0] == quick_id and before != after  # the newest id stayed, the stamp did not


def _figures(result):
    """Every number of a ScopeStats, comparable across reads."""
    from survey.api.serialise import stats_json

    return (
        [(unit.code, stats_json(stats)) for unit, stats in result.communities],
        [(unit.code, stats_json(stats)) for unit, stats in result.streets],
        stats_json(result.district),
    )


def knowledge_item_ids(app):
    """The knowledge items of the current version (answering them wrong lowers a score)."""
    from survey.questionnaire.services import current_version

    with app.app_context():
        return [item.id for item in current_version().items if item.kind == "knowledge"]


def test_rollups_brought_up_to_date_equal_a_full_read(answered, monkeypatch):
    """After responses are added, only their communities are read again, and the figures equal a full read."""
    from survey.questionnaire.services import current_version
    from survey.stats import services

    full_reads = []
    read = services._read_rollups
    monkeypatch.setattr(services, "_read_rollups", lambda version_id: full_reads.append(version_id) or read(version_id))
    resident = SurveyDriver(answered, answered.test_client())
    resident.complete("lianhu")
    with answered.app_context():
        version_id = current_version().id
        services.scope_stats(version_id)
    assert len(full_reads) == 1
    wrong = knowledge_item_ids(answered)[:2]
    resident.complete("binhe", wrong_item_ids=wrong)  # a retake elsewhere: its gain is Lianhu's (counted there)
    SurveyDriver(answered, answered.test_client()).complete("taoyuan")
    with answered.app_context():
        kept = services.scope_stats(version_id)
        assert len(full_reads) == 1  # brought up to date, not read again
        answered.config["STATS_CACHE_MAX_AGE"] = 0
        fresh = services.scope_stats(version_id)
    assert _figures(kept) == _figures(fresh)
    lianhu = next(stats for unit, stats in kept.communities if unit.code == "lianhu")
    assert lianhu.participants == 6 and lianhu.learning_gain.n == 1
    with answered.app_context():
        gain = services._cached_rollups(version_id).counts[lianhu_id(answered)].gain_sum
    assert gain < 0  # the retake scored lower


def test_any_other_change_reads_the_rollups_in_full(answered, monkeypatch, runner):
    from survey.questionnaire.services import current_version
    from survey.stats import services

    full_reads = []
    read = services._read_rollups
    monkeypatch.setattr(services, "_read_rollups", lambda version_id: full_reads.append(version_id) or read(version_id))
    with answered.app_context():
        version_id = current_version().id
        services.scope_stats(version_id)
    assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
    with answered.app_context():
        services.scope_stats(version_id)
    assert len(full_reads) == 2


def test_a_new_day_is_a_new_page(answered, auth, client, monkeypatch):
    """Days to inspection day and the trend's last day follow the date: the date is part of the key."""
    from datetime import timedelta

    from survey import localtime

    auth.as_role("district")
    client.get(COMMUNITY_PAGE, headers=EN)
    pages_today = [key for key in entries(answered) if key[0] == "page"]

    today = localtime.today
    monkeypatch.setattr(localtime, "today", lambda: today() + timedelta(days=1))
    client.get(COMMUNITY_PAGE, headers=EN)
    pages = [key for key in entries(answered) if key[0] == "page"]
    assert len(pages) == len(pages_today) + 1
