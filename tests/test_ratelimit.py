"""Residents' rate limits: keyed on a salted daily hash of the address, a localised 429, nothing stored."""

import math
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Response
from survey.ratelimit import client_key

from .conftest import SurveyDriver, csrf_token, right_answers


def _resident(app, address):
    """A test client that comes from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _retry_minutes(response, window=3600):
    """The minutes the page promises, checked against the Retry-After header (seconds, within the window)."""
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= window
    found = re.search(r"(\d+) (?:分钟|minute)", response.json["detail"] if response.is_json else response.text)
    minutes = int(found.group(1))
    assert minutes in {math.ceil(seconds / 60), math.ceil((seconds + 1) / 60)}  # a second may pass in between
    return minutes


def _stored(app):
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(Response))


def _submit_another(app, resident):
    """Start another attempt, answer every part (each saved) and send the last one; return that last answer."""
    answers, sections = right_answers(app)
    resident.start()
    for number, names in enumerate(sections[:-1], start=1):
        assert resident.post_section(number, {name: answers[name] for name in names}).status_code == 302
    return resident.post_section(len(sections), {name: answers[name] for name in sections[-1]})


def test_stored_submissions_are_limited_per_client_with_a_chinese_429(app):
    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "2 per hour"
    resident = SurveyDriver(app, _resident(app, "198.51.100.7"))
    for _ in range(2):
        assert "/survey/result/" in resident.complete().location
    answers, sections = right_answers(app)
    resident.start()
    # Every page but the last is still saved: only storing a response is limited.
    for number, names in enumerate(sections[:-1], start=1):
        assert resident.post_section(number, {name: answers[name] for name in names}).status_code == 302
    blocked = resident.post_section(len(sections), {name: answers[name] for name in sections[-1]})
    assert blocked.status_code == 429
    assert blocked.mimetype == "text/html"
    minutes = _retry_minutes(blocked)
    assert "尝试次数太多" in blocked.text
    assert f"请在 {minutes} 分钟后再试。" in blocked.text
    assert _stored(app) == 2
    # "Back" from the last page is not a submission and still works.
    page = resident.client.get(f"/survey/section/{len(sections)}")
    back = resident.client.post(
        f"/survey/section/{len(sections)}", data={"csrf_token": csrf_token(page.text), "back": "x"}
    )
    assert back.status_code == 302


def test_the_429_page_in_english_says_how_many_minutes(app):
    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per 10 minutes"
    client = _resident(app, "198.51.100.8")
    client.get("/language/en?next=/")
    resident = SurveyDriver(app, client)
    resident.complete()
    blocked = _submit_another(app, resident)
    assert blocked.status_code == 429
    minutes = _retry_minutes(blocked, window=600)
    assert 1 <= minutes <= 10
    assert '<html lang="en">' in blocked.text and "Too many attempts" in blocked.text
    plural = "minute" if minutes == 1 else "minutes"
    assert f"Please try again in {minutes} {plural}." in blocked.text


def test_refused_answers_do_not_use_up_the_submission_allowance(app):
    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per hour"
    resident = SurveyDriver(app, _resident(app, "198.51.100.9"))
    answers, sections = right_answers(app)
    resident.start()
    for number, names in enumerate(sections[:-1], start=1):
        resident.post_section(number, {name: answers[name] for name in names})
    # The last page sent empty: the resident is asked to answer, nothing is stored, nothing is counted.
    assert resident.post_section(len(sections), {}).status_code == 422
    done = resident.post_section(len(sections), {name: answers[name] for name in sections[-1]})
    assert done.status_code == 302 and "/survey/result/" in done.location


def test_two_addresses_do_not_share_an_allowance(app):
    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per hour"
    first = SurveyDriver(app, _resident(app, "192.0.2.10"))
    second = SurveyDriver(app, _resident(app, "192.0.2.11"))
    assert "/survey/result/" in first.complete().location
    answers, sections = right_answers(app)
    first.start()
    for number, names in enumerate(sections[:-1], start=1):
        first.post_section(number, {name: answers[name] for name in names})
    assert first.post_section(len(sections), {n: answers[n] for n in sections[-1]}).status_code == 429
    assert "/survey/result/" in second.complete().location
    assert _stored(app) == 2


def test_answer_saving_posts_share_one_allowance(app):
    app.config["SURVEY_LIMIT_PER_CLIENT"] = "3 per hour"
    client = _resident(app, "192.0.2.20")
    token = csrf_token(client.get("/c/lianhu").text)
    for _ in range(3):
        assert client.post("/survey/start", data={"community": "lianhu", "csrf_token": token}).status_code == 302
    blocked = client.post("/survey/start", data={"community": "lianhu", "csrf_token": token})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert client.get("/survey/section/1").status_code == 200  # reading is never limited
    other = _resident(app, "192.0.2.21")
    token = csrf_token(other.get("/c/lianhu").text)
    assert other.post("/survey/start", data={"community": "lianhu", "csrf_token": token}).status_code == 302


def test_instant_check_answers_429_in_json(app, version):
    app.config["CHECK_LIMIT_PER_CLIENT"] = "2 per hour"
    client = _resident(app, "192.0.2.30")
    token = csrf_token(client.get("/c/lianhu").text)
    item = next(item for item in version.items if item.is_knowledge and item.question_type == "single")
    body = {"item": item.id, "answer": str(item.options[0].id)}
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    for _ in range(2):
        assert client.post("/survey/check", json=body, headers=headers).status_code == 200
    blocked = client.post("/survey/check", json=body, headers=headers)
    assert blocked.status_code == 429 and blocked.is_json
    minutes = _retry_minutes(blocked)
    assert blocked.json == {"error": "尝试次数太多", "detail": f"请在 {minutes} 分钟后再试。", "status": 429}


def test_limits_can_be_switched_off_for_load_tests(app):
    app.config.update(
        RESIDENT_LIMITS_ENABLED=False, SUBMIT_LIMIT_PER_CLIENT="1 per hour", SURVEY_LIMIT_PER_CLIENT="1 per hour"
    )
    resident = SurveyDriver(app, _resident(app, "192.0.2.40"))
    for _ in range(3):
        assert "/survey/result/" in resident.complete().location


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ((2026, 11, 27, 15, 59), (2026, 11, 27, 16, 1), False),  # midnight in Beijing: a new day's key
        ((2026, 11, 27, 16, 1), (2026, 11, 27, 23, 59), True),  # UTC midnight is 08:00 there: the same day
        ((2026, 11, 27, 23, 59), (2026, 11, 28, 0, 1), True),
    ],
)
def test_the_key_changes_at_the_districts_midnight(app, monkeypatch, before, after, same):
    def key_at(moment):
        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime(*moment, tzinfo=UTC).astimezone(tz)

        monkeypatch.setattr("survey.localtime.datetime", Clock)
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
            return client_key()

    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert (key_at(before) == key_at(after)) is same


def test_the_key_is_a_salted_hash_that_changes_every_day(app, monkeypatch):
    def key(address):
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": address}):
            return client_key()

    first = key("203.0.113.5")
    assert first == key("203.0.113.5") and first != key("203.0.113.6")
    assert "203.0.113.5" not in first and not re.search(r"203\D0\D113", first)

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2099, 1, 2, tzinfo=UTC)

    monkeypatch.setattr("survey.localtime.datetime", Tomorrow)
    assert key("203.0.113.5") != first
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long"
    assert key("203.0.113.5") != first  # salted with the server secret, not guessable from the address


def test_nothing_about_the_client_is_stored_with_answers(app):
    address, agent = "203.0.113.77", "ResidentPhone/9.9 MicroMessenger"
    client = _resident(app, address)
    client.environ_base["HTTP_USER_AGENT"] = agent
    SurveyDriver(app, client).complete()
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": address}):
        hashed = client_key()
    with app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                dump.extend(str(value) for value in row)
    text = "\n".join(dump)
    assert _stored(app) == 1
    for secret in (address, agent, "MicroMessenger", hashed, hashed[2:]):
        assert secret not in text


def test_only_a_refusal_speaks_of_limits(app):
    """An allowed POST tells the client nothing about its allowance (no X-RateLimit-*, no Retry-After on a
    success); the refusal still says when to come back."""
    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per hour"
    resident = SurveyDriver(app, _resident(app, "198.51.100.9"))
    answers, sections = right_answers(app)
    resident.start()
    for number, names in enumerate(sections, start=1):
        allowed = resident.post_section(number, {name: answers[name] for name in names})
        assert allowed.status_code == 302
        assert not [name for name in allowed.headers.keys() if name.lower().startswith("x-ratelimit")]
        assert "Retry-After" not in allowed.headers
    resident.start()
    for number, names in enumerate(sections[:-1], start=1):
        resident.post_section(number, {name: answers[name] for name in names})
    blocked = resident.post_section(len(sections), {name: answers[name] for name in sections[-1]})
    assert blocked.status_code == 429 and _retry_minutes(blocked) == 60


def test_pages_without_limits_do_not_touch_the_allowances_and_a_refusal_still_says_when_to_retry(app):
    # Flask-Limiter's own hooks run only for requests that met a limit (survey.ratelimit.skip_untouched_hooks).
    app.config["SURVEY_LIMIT_PER_CLIENT"] = "2 per hour"
    client = app.test_client()
    token = csrf_token(client.get("/c/lianhu").text)
    for _ in range(5):
        page = client.get("/survey/")
        assert page.status_code == 200
        assert not [name for name in page.headers.keys() if name.lower().startswith(("x-ratelimit", "retry-after"))]
    posted = [client.post("/survey/start", data={"csrf_token": token, "community": "lianhu"}) for _ in range(3)]
    assert [answer.status_code for answer in posted] == [302, 302, 429]
    assert int(posted[-1].headers["Retry-After"]) > 0


def test_a_failing_limit_store_lets_residents_submit_when_errors_are_swallowed(app, monkeypatch, caplog):
    # RATELIMIT_SWALLOW_ERRORS (on in the configuration): a Redis outage must not stop residents.
    from survey.extensions import limiter

    def broken(*args, **kwargs):
        raise ConnectionError("the limit store is down")

    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per hour"
    monkeypatch.setattr(limiter.limiter, "hit", broken)
    monkeypatch.setattr(limiter.limiter, "test", broken)
    resident = SurveyDriver(app, _resident(app, "192.0.2.77"))
    for _ in range(2):
        assert "/survey/result/" in resident.complete().location
    assert _stored(app) == 2
    assert "rate-limit storage failed" in caplog.text


def test_with_rate_limiting_off_the_allowances_count_nothing(app):
    from survey.extensions import limiter

    app.config["SUBMIT_LIMIT_PER_CLIENT"] = "1 per hour"
    resident = SurveyDriver(app, _resident(app, "192.0.2.78"))
    limiter.enabled = False
    try:
        for _ in range(3):
            assert "/survey/result/" in resident.complete().location
    finally:
        limiter.enabled = True
    # Nothing was counted while it was off: the allowance is whole again, and then used up.
    assert "/survey/result/" in resident.complete().location
    assert _submit_another(app, resident).status_code == 429
    assert _stored(app) == 4


@pytest.mark.parametrize(
    "name",
    [
        "SUBMIT_LIMIT_PER_CLIENT",
        "SURVEY_LIMIT_PER_CLIENT",
        "CHECK_LIMIT_PER_CLIENT",
        "LOGIN_LIMIT_PER_CLIENT",
        "LOGIN_LIMIT_PER_ACCOUNT",
    ],
)
def test_a_limit_the_limits_library_cannot_read_stops_the_start(monkeypatch, tmp_path, name):
    from survey import config

    monkeypatch.setenv(name, "lots per hour")
    with pytest.raises(config.ConfigError, match=name):
        config.load(tmp_path)
    monkeypatch.setenv(name, "500 per hour; 3000 per day")
    assert config.load(tmp_path)[name] == "500 per hour; 3000 per day"


def test_with_redis_the_residents_allowance_is_kept_in_redis_for_every_process(sqlite_template, tmp_path):
    # REDIS_URL: the stored-response allowance is counted in Redis, so every worker and instance sees it.
    import redis

    from .conftest import close_app, demo_app
    from .system.harness import flush_redis, redis_url, require

    url = require("Redis", redis_url(db_number=12))
    flush_redis(url)
    app = demo_app(sqlite_template, tmp_path, RATELIMIT_STORAGE_URI=url, SUBMIT_LIMIT_PER_CLIENT="1 per hour")
    try:
        resident = SurveyDriver(app, _resident(app, "192.0.2.90"))
        assert "/survey/result/" in resident.complete().location
        client = redis.Redis.from_url(url, socket_timeout=3)
        try:
            assert [key for key in client.keys() if b"survey-submit" in key]
        finally:
            client.close()
        blocked = _submit_another(app, resident)
        assert blocked.status_code == 429 and _retry_minutes(blocked) == 60
    finally:
        close_app(app)
        flush_redis(url)
