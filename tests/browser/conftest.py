"""Browser fixtures: the app served on loopback by a real WSGI server, and Debian's Chromium driven by Playwright.

Every test in this folder is marked ``browser``. Without a Chromium the tests are skipped, unless
``REQUIRE_BROWSER=1`` (CI sets it): then a missing browser is a failure, never a silent skip.
"""

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Context locale (what the phone sends as Accept-Language) → the app's locale code and <html lang>.
LOCALES = {"zh-CN": ("zh", "zh-Hans"), "en-US": ("en", "en")}
# Playwright's own timeouts, in ms: a local server answers in milliseconds, so waits fail fast.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    """Mark every test collected from this folder as a browser test."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _require_browser():
    return os.environ.get("REQUIRE_BROWSER", "").strip() not in ("", "0", "false", "no")


def chromium_path():
    """The Chromium executable: ``CHROMIUM_PATH``, else ``chromium`` on PATH, else Debian's path; None if absent."""
    candidate = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    path = Path(candidate)
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


# ---------------------------------------------------------------- the answer key, read from the database


@dataclass(frozen=True)
class ItemKey:
    """What a test needs to answer one item, as plain values (no ORM objects outlive the app context)."""

    id: int
    kind: str
    question_type: str
    option_ids: tuple
    correct_ids: tuple
    fill_text: str | None
    correct_labels: dict = field(default_factory=dict)  # app locale code → [correct answer texts]

    @property
    def is_knowledge(self):
        return self.kind == "knowledge"

    @property
    def name(self):
        return f"item-{self.id}"


@dataclass(frozen=True)
class AnswerKey:
    """The published questionnaire as the tests see it: sections of items, and the knowledge total."""

    sections: tuple

    @property
    def items(self):
        return [item for section in self.sections for item in section]

    @property
    def knowledge_total(self):
        return sum(1 for item in self.items if item.is_knowledge)

    def first_wrongable(self):
        """The first single-choice knowledge item (answered wrong on purpose)."""
        return next(item for item in self.items if item.is_knowledge and item.question_type in ("single", "truefalse"))


def _answer_key():
    from survey.questionnaire.services import current_version

    version = current_version()
    assert version is not None, "the demo loaded no published questionnaire"
    sections = []
    for section in version.sections:
        items = []
        for item in section.items:
            options = list(item.options)
            if item.question_type == "fillin":
                labels = {code: [answer.text for answer in item.accepted_answers] for code, _ in LOCALES.values()}
            else:
                labels = {
                    code: [option.tr("label", code) for option in options if option.is_correct]
                    for code, _ in LOCALES.values()
                }
            items.append(
                ItemKey(
                    id=item.id,
                    kind=item.kind,
                    question_type=item.question_type,
                    option_ids=tuple(option.id for option in options),
                    correct_ids=tuple(option.id for option in options if option.is_correct),
                    fill_text=item.accepted_answers[0].text if item.accepted_answers else None,
                    correct_labels=labels,
                )
            )
        sections.append(tuple(items))
    return AnswerKey(sections=tuple(sections))


# ---------------------------------------------------------------- the live server


class LiveServer(str):
    """The base URL (a str, e.g. ``http://127.0.0.1:54321``) that also carries the app and the answer key."""

    app = None
    key = None
    errors = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a fresh SQLite file with the demo content, served by werkzeug on 127.0.0.1 (a free port)."""
    from flask import got_request_exception
    from werkzeug.serving import WSGIRequestHandler, make_server

    from survey import create_app
    from survey.demo import load_demo
    from survey.extensions import db

    path = tmp_path_factory.mktemp("live") / "survey.db"
    app = create_app({"TESTING": False, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        load_demo()
        key = _answer_key()
        db.session.remove()

    errors = []

    def record(sender, exception, **extra):
        errors.append(repr(exception))

    got_request_exception.connect(record, app)

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # no access log in the test output
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app, url.key, url.errors = app, key, errors
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_app(live_server):
    """The Flask app behind the live server (open ``live_app.app_context()`` to query its database)."""
    return live_server.app


@pytest.fixture
def answer_key(live_server):
    """The demo questionnaire's answers (see AnswerKey)."""
    return live_server.key


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    """Fail a browser test when the server raised an exception while serving it."""
    if "live_server" not in request.fixturenames:
        yield
        return
    errors = request.getfixturevalue("live_server").errors
    before = len(errors)
    yield
    assert errors[before:] == [], f"the server raised while serving this test: {errors[before:]}"


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright (skipped when absent, failed when REQUIRE_BROWSER=1)."""
    executable = chromium_path()
    if executable is None:
        message = "no Chromium found (set CHROMIUM_PATH or install Debian's chromium)"
        if _require_browser():
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - report any launch failure the same way
            message = f"Chromium at {executable} did not start: {error}"
            if _require_browser():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        yield instance
        instance.close()
    finally:
        playwright.stop()


@pytest.fixture
def phone_factory(browser, live_server):
    """Make phone-sized contexts: ``phone_factory("en-US", java_script_enabled=False)``; all closed after the test."""
    contexts = []

    def make(locale="zh-CN", **options):
        settings = {
            "viewport": {"width": 390, "height": 844},
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
            "locale": locale,
            "base_url": str(live_server),
        }
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(phone_factory, request):
    """A new phone context (390×844, touch); locale zh-CN unless parametrized indirectly with another."""
    return phone_factory(getattr(request, "param", "zh-CN"))


def shot(page, name):
    """Save a full-page screenshot to tests/browser/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: a full-page capture of a scrolled page draws the sticky progress bar mid-page.
    # (Playwright's evaluate works even in contexts with JavaScript disabled.)
    page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
