"""Fuzzing every route: generated bad input never gives a 5xx, and a refused request changes no data.

Each (endpoint, method) of ``app.url_map`` gets MIN_EXAMPLES generated requests (hypothesis, derandomised so
CI sees the same inputs every run): path arguments from valid ids, other versions' ids, unknown ids and path
tricks; query strings and form bodies of injection strings, huge, empty and wrong-typed values and invalid
UTF-8; as an anonymous resident (with a survey in progress), an administrator, a community staff member and
an API caller with a good, a bad or no bearer token. Most POSTs carry a valid CSRF token so they reach the
handler. Before each request the whole database is hashed; when the answer is a refusal (status >= 400) the
hash must not have changed.
"""

import hashlib
import html
import io
import os
import re
import secrets
from urllib.parse import quote, urlsplit

import pytest
from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from survey import create_app
from survey.api.tokens import create_token
from survey.auth.services import create_staff, start_session
from survey.bank import services as bank
from survey.extensions import db
from survey.models import Community, Page, QuestionnaireVersion, Street
from survey.models.staff import StaffSession, StaffUser

from .conftest import STAFF_PASSWORD, SurveyDriver, close_app, csrf_token, demo_app

# Per (endpoint, method); FUZZ_EXAMPLES=200 runs a deeper search locally.
MIN_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 20))
TOTAL_AT_LEAST = 1000


def _cases():
    """Every (endpoint, method) pair the application serves, from its URL map."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "collect-the-url-map-only-here", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    cases = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append((rule.endpoint, method, rule.rule))
    return sorted(cases)


CASES = _cases()

INJECTIONS = [
    "' OR 1=1--",
    "1; DROP TABLE response;--",
    '" OR ""="',
    "{{7*7}}",
    "{{ config }}",
    "{%",
    "{% raw %}{%{% endraw %}",
    "${7*7}",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "%s%s%s%n",
    "%(name)s",
]
PATH_TRICKS = [
    "../",
    "../../etc/passwd",
    "..%2f..%2f",
    "%2e%2e",
    "%2e%2e%2f",
    "..\\..\\",
    "\x00",
    "a\x00b",
    "/",
    "//evil.example",
    ".",
    "..",
    "~",
    "x" * 3000,
]
ODD_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "999999999",
    "9223372036854775808",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "true",
    "null",
    "[]",
    "{}",
    "１２３",
    "中" * 300,
    "\u202egnp.exe",
    "😀",
    "a" * 70_000,
    "2026-01-01",
    "2026-13-45",
    "0000-00-00",
    "lianhu",
    "s-hehua",
    "zh",
    "en",
    "xx",
    "csv",
    "xlsx",
    "up",
    "down",
]
TEXT = st.one_of(
    st.sampled_from(INJECTIONS + PATH_TRICKS + ODD_VALUES),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
INVALID_UTF8 = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"%ff%fe", b"%c0%af", b"%00", b"\xe4\xb8"]
QUERY_KEYS = [
    "version",
    "since",
    "until",
    "lang",
    "next",
    "sort",
    "order",
    "page",
    "action",
    "staff",
    "locale",
    "new",
    "street",
    "community",
    "q",
    "format",
    "fmt",
    "id",
]
ACCEPT_LANGUAGES = ["", "en", "zh-CN,zh;q=0.9", "xx-YY", "*;q=abc", "en;q=2, zh;q=-1", "\u00e9" * 3]
ROLES = ["resident", "admin", "community", "bearer"]


# Columns that record that a request was authenticated, which a refused request (say, a bad parameter sent with
# a good token) still was.
BOOKKEEPING = {("api_token", "last_used_at")}


class World:
    """The application under fuzz with its accounts, clients, known ids and the forms' field names."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.admin_id = create_staff("admin", STAFF_PASSWORD, "admin").id
            self.community_id = create_staff("community", STAFF_PASSWORD, "community", community_code="lianhu").id
            _token, self.admin_token = create_token("admin")
            _token, self.community_token = create_token("community")
            v1 = db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.number == 1))
            self.v1_sections = [section.id for section in v1.sections]
            self.v1_items = [item.id for item in v1.items]
            self.v1_options = [option.id for item in v1.items for option in item.options][:40]
            draft = bank.open_draft()  # version 2: its ids are "other versions' ids" for the published one
            self.draft_id = draft.id
            self.v2_sections = [section.id for section in draft.sections]
            self.v2_items = [item.id for item in draft.items]
            self.versions = [v1.id, draft.id]
            self.pages = list(db.session.scalars(select(Page.id)))
            self.slugs = list(db.session.scalars(select(Page.slug)))
            self.communities = list(db.session.scalars(select(Community.id)))
            self.community_codes = list(db.session.scalars(select(Community.code)))
            self.streets = list(db.session.scalars(select(Street.id)))
            self.street_codes = list(db.session.scalars(select(Street.code)))
            self.staff_ids = [self.admin_id, self.community_id]
            self.token_ids = [1, 2]
        self.clients = {role: app.test_client() for role in ROLES}
        driver = SurveyDriver(app, self.clients["resident"])
        done = driver.complete()
        self.public_ids = [done.location.rsplit("/", 1)[-1]]
        driver.start()
        self.forms = {}
        self._collect_forms()

    # ---------------------------------------------------------------- preparing a request
    def int_values(self, name):
        """Ids that mean something for an ``<int:name>`` argument, plus unknown ones."""
        known = {
            "version_id": self.versions,
            "section_id": self.v1_sections[:3] + self.v2_sections[:3],
            "item_id": self.v1_items[:4] + self.v2_items[:4],
            "page_id": self.pages,
            "staff_id": self.staff_ids,
            "token_id": self.token_ids,
            "community_id": self.communities[:3],
            "street_id": self.streets,
            "number": [1, 2, 3, 6, 7],
        }.get(name, [1])
        return known + [0, 999_999, 2**31, 2**63, 10**30]

    def str_values(self, name):
        """Strings that mean something for a string argument, plus tricks."""
        known = {
            "code": self.community_codes[:3] + self.street_codes[:2],
            "slug": self.slugs[:3],
            "fmt": ["csv", "xlsx", "pdf"],
            "public_id": self.public_ids + ["0" * 32],
            "name": ["missing.png"],
            "filename": ["css/site.css", "js/survey.js", "../app.py", "..%2fapp.py", "css/../../app.py"],
        }.get(name, [])
        return known + PATH_TRICKS + INJECTIONS[:4] + ["LIANHU", "lianhu.csv", "中文"]

    def ensure_ready(self, role):
        """Put the client back in its role: a resident with a survey in progress, staff logged in."""
        client = self.clients[role]
        if role == "resident":
            with client.session_transaction() as session:
                in_progress = isinstance(session.get("attempt"), dict)
            if not in_progress:
                SurveyDriver(self.app, client).start()
        elif role in ("admin", "community"):
            staff_id = self.admin_id if role == "admin" else self.community_id
            with client.session_transaction() as session:
                session_id = session.get("_user_id")
            with self.app.app_context():
                staff = db.session.get(StaffUser, staff_id)
                live = session_id and db.session.get(StaffSession, session_id)
                if not (staff.is_active and live and live.ended_at is None and live.staff_id == staff_id):
                    staff.is_active = True
                    session_id = start_session(staff).session_id
                db.session.remove()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = session_id, True
        return client

    def csrf_for(self, client):
        """A valid CSRF token for the client's session (made the way Flask-WTF makes it)."""
        with client.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(secrets.token_bytes(32)).hexdigest()  # noqa: S324 - as Flask-WTF
            raw = session["csrf_token"]
        with self.app.test_request_context():
            from flask import session as request_session

            request_session["csrf_token"] = raw
            return generate_csrf()

    def snapshot(self):
        """A hash of every row of every table (but a token's last use: a refused request may still be authenticated)."""
        digest = hashlib.sha256()
        with self.app.app_context():
            for table in db.metadata.sorted_tables:
                columns = [column for column in table.columns if (table.name, column.name) not in BOOKKEEPING]
                rows = sorted(repr(tuple(row)) for row in db.session.execute(select(*columns)))
                digest.update(f"{table.name}:{len(rows)}:".encode())
                digest.update("\n".join(rows).encode())
            db.session.remove()
        return digest.hexdigest()

    # ---------------------------------------------------------------- the forms' field names
    def _collect_forms(self):
        """Read every form the admin and the resident can see: its action's endpoint and its field names."""
        adapter = self.app.url_map.bind("localhost")
        pages = ["/", "/survey/", "/c/lianhu", "/study", f"/survey/result/{self.public_ids[0]}"]
        pages += [f"/survey/section/{n}" for n in range(1, len(self.v1_sections) + 1)]
        staff_pages = [
            "/admin/",
            "/admin/settings",
            "/admin/staff",
            "/admin/password",
            "/admin/tokens/",
            "/admin/pages/",
            "/admin/pages/new",
            "/admin/pages/images",
            "/admin/communities/",
            "/admin/communities/new",
            "/admin/communities/streets/new",
            "/admin/communities/import",
            f"/admin/communities/{self.communities[0]}",
            f"/admin/communities/streets/{self.streets[0]}",
            "/admin/questionnaire/",
            f"/admin/questionnaire/{self.draft_id}",
            f"/admin/questionnaire/{self.draft_id}/delete",
            f"/admin/questionnaire/{self.draft_id}/sections/{self.v2_sections[0]}",
            f"/admin/questionnaire/{self.draft_id}/sections/{self.v2_sections[0]}/items/new",
            f"/admin/questionnaire/{self.draft_id}/items/{self.v2_items[0]}",
            f"/admin/questionnaire/{self.draft_id}/items/{self.v2_items[0]}/delete",
            "/admin/dashboard/district",
            "/admin/login",
        ]
        staff_pages += [f"/admin/pages/{page}/{view}" for page in self.pages[:1] for view in ("edit", "history")]
        for role, paths in (("resident", pages), ("admin", staff_pages)):
            client = self.ensure_ready(role)
            for path in paths:
                page = client.get(path)
                for attrs, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", page.text, re.S):
                    action = re.search(r'action="([^"]*)"', attrs)
                    target = urlsplit(action.group(1) if action and action.group(1) else path).path
                    method = "POST" if re.search(r'method="post"', attrs, re.I) else "GET"
                    try:
                        endpoint, _args = adapter.match(target, method=method)
                    except (HTTPException, RequestRedirect):
                        continue
                    fields = self.forms.setdefault(endpoint, {"names": set(), "files": set(), "values": {}})
                    for tag in re.findall(r"<(?:input|select|textarea|button)\b[^>]*>", body):
                        name = re.search(r'name="([^"]+)"', tag)
                        if name and name.group(1) != "csrf_token":
                            kind = "files" if 'type="file"' in tag else "names"
                            fields[kind].add(name.group(1))
                            value = re.search(r'value="([^"]*)"', tag)
                            if value and kind == "names":
                                fields["values"].setdefault(name.group(1), set()).add(html.unescape(value.group(1)))
                    # What a real submission would send: options of each select, the text of each textarea.
                    for name, options in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
                        values = {html.unescape(v) for v in re.findall(r'<option\b[^>]*value="([^"]*)"', options)}
                        fields["values"].setdefault(name, set()).update(values)
                    textareas = re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S)
                    for name, content in textareas:
                        fields["values"].setdefault(name, set()).add(html.unescape(content.strip()))
        for endpoint in ("questionnaire.section", "questionnaire.start", "questionnaire.retake"):
            fields = self.forms.setdefault(endpoint, {"names": set(), "files": set(), "values": {}})
            fields["names"].update({"community", "back", "forward"} | {f"item-{i}" for i in self.v2_items[:3]})


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    """One application for the whole module: its state (and whatever the fuzz managed to change) carries over."""
    app = demo_app(sqlite_template, tmp_path_factory.mktemp("fuzz"))
    yield World(app)
    close_app(app)


def _path(rule, world, draw):
    """A concrete path for ``rule`` with drawn arguments (sometimes raw, to try path tricks)."""

    def argument(match):
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return str(draw(st.sampled_from(world.int_values(name))))
        value = draw(st.one_of(st.sampled_from(world.str_values(name)), TEXT))
        return value if draw(st.booleans()) and "\x00" not in value else quote(value, safe="")

    return re.sub(r"<(?:(\w+):)?(\w+)>", argument, rule)


def _query(draw):
    """A query string: none, a mapping of odd values, or raw bytes with invalid UTF-8."""
    kind = draw(st.sampled_from(["none", "mapping", "mapping", "bytes"]))
    if kind == "none":
        return None
    if kind == "mapping":
        keys = draw(st.lists(st.sampled_from(QUERY_KEYS), max_size=4))
        return {key: draw(TEXT)[:5000] for key in keys}
    key = draw(st.sampled_from(QUERY_KEYS)).encode()
    raw = key + b"=" + draw(st.sampled_from(INVALID_UTF8)) + b"&lang=" + draw(st.sampled_from(INVALID_UTF8))
    return raw.decode("latin-1")  # the WSGI environ carries the raw bytes as latin-1 text


def _form_value(world, draw):
    return draw(
        st.one_of(
            TEXT,
            st.sampled_from([str(i) for i in world.v1_options[:10] + world.v1_items[:5] + world.v2_items[:5]]),
        )
    )


def _body(endpoint, world, client, draw):
    """``(data, content_type, json)`` for a POST: a form with the endpoint's fields, JSON, or invalid bytes."""
    fields = world.forms.get(endpoint, {"names": set(), "files": set(), "values": {}})
    names = sorted(fields["names"]) or ["name", "value"]
    if endpoint == "questionnaire.check":  # a JSON endpoint
        kind = draw(st.sampled_from(["json"] * 6 + ["form", "bytes"]))
    else:
        kind = draw(st.sampled_from(["form"] * 5 + ["json", "bytes", "empty"]))
    token = world.csrf_for(client) if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(["", "forged", "{{7*7}}"]))
    if kind == "json":
        if endpoint == "questionnaire.check":
            payload = draw(
                st.one_of(
                    st.fixed_dictionaries(
                        {
                            "item": st.one_of(
                                st.sampled_from(world.v1_items + world.v2_items), st.integers(), TEXT, st.none()
                            ),
                            "answer": st.one_of(
                                st.sampled_from([str(o) for o in world.v1_options]),
                                st.lists(st.sampled_from(world.v1_options), max_size=3),
                                TEXT,
                                st.lists(TEXT, max_size=3),
                                st.integers(),
                                st.none(),
                                st.dictionaries(TEXT, TEXT, max_size=2),
                            ),
                        }
                    ),
                    st.lists(st.integers(), max_size=3),
                    TEXT,
                    st.none(),
                    st.integers(),
                )
            )
        else:
            payload = draw(st.dictionaries(st.sampled_from(names), TEXT, max_size=4))
        return None, "application/json", payload, token
    if kind == "bytes":
        name = draw(st.sampled_from(names)).encode()
        raw = b"csrf_token=" + token.encode() + b"&" + name + b"=" + draw(st.sampled_from(INVALID_UTF8))
        raw += draw(st.sampled_from([b"", b"&" + name + b"=%ff", b"\xff\x00\xfe", b"&&==&"]))
        return raw, "application/x-www-form-urlencoded", None, token
    if kind == "empty":
        return {}, None, None, token
    data = {"csrf_token": token}
    seen = fields.get("values", {})
    if seen and draw(st.booleans()):
        # A plausible submission (the values the page offers) with one to three fields made bad: reaches the services.
        for name in sorted(seen):
            data[name] = draw(st.sampled_from(sorted(seen[name])))
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(len(names), 3), unique=True))
    else:
        chosen = draw(st.lists(st.sampled_from(names), min_size=0, max_size=min(len(names), 8), unique=True))
    for name in chosen:
        if draw(st.integers(0, 5)) == 0:  # a repeated field where one value is expected, or a multiple choice
            data[name] = [_form_value(world, draw) for _ in range(draw(st.integers(1, 3)))]
        else:
            data[name] = _form_value(world, draw)
    for name in sorted(fields["files"]):
        if draw(st.booleans()):
            content = draw(
                st.sampled_from(
                    [
                        b"",
                        b"\xff\xd8\xff garbage",
                        b"name,code\n' OR 1=1--,../x\n",
                        "街道,社区\n{{7*7}},中\n".encode("gbk"),
                        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                        b"PK\x03\x04 not really a zip",
                        b"<svg onload=alert(1)>",
                    ]
                )
            )
            filename = draw(st.sampled_from(["a.csv", "a.xlsx", "a.png", "../../a.jpg", "a\x00.png", "", "中.csv"]))
            data[name] = (io.BytesIO(content), filename)
    return data, None, None, token


def _headers(world, role, endpoint, draw):
    headers = {"Accept-Language": draw(st.sampled_from(ACCEPT_LANGUAGES))}
    if draw(st.integers(0, 3)) == 0:
        headers["Accept"] = "application/json"
    if role == "bearer":
        headers["Authorization"] = draw(
            st.sampled_from(
                [
                    f"Bearer {world.admin_token}",
                    f"Bearer {world.community_token}",
                    f"Bearer {world.community_token}",
                    "Bearer ",
                    "Bearer ' OR 1=1--",
                    "Basic YWRtaW46YWRtaW4=",
                    "bearer " + "x" * 5000,
                    "Bearer\tabc",
                ]
            )
        )
    return headers


COUNTS = {}


def _roles_for(rule):
    """Mostly the callers a route is for, sometimes the others."""
    if rule.startswith("/admin"):
        return ["admin"] * 5 + ["community"] * 3 + ["resident", "bearer"]
    if rule.startswith("/api"):
        return ["bearer"] * 5 + ["admin", "community", "resident"] * 2
    return ["resident"] * 5 + ["admin", "community", "bearer"]


@pytest.mark.parametrize(("endpoint", "method", "rule"), CASES, ids=[f"{m} {r}" for _e, m, r in CASES])
def test_generated_requests_never_fail_and_refusals_change_nothing(world, endpoint, method, rule):
    key = (endpoint, method)
    COUNTS[key] = 0

    # No shrinking: a failure's message already names the exact request, and CI time stays bounded.
    @settings(
        max_examples=MIN_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data):
        draw = data.draw
        COUNTS[key] += 1
        role = draw(st.sampled_from(_roles_for(rule)))
        client = world.ensure_ready(role)
        path = _path(rule, world, draw)
        query = _query(draw)
        headers = _headers(world, role, endpoint, draw)
        kwargs = {"method": method, "query_string": query, "headers": headers}
        if method == "POST":
            body, content_type, payload, token = _body(endpoint, world, client, draw)
            if payload is not None or content_type == "application/json":
                kwargs["json"] = payload
            else:
                kwargs["data"] = body
                if content_type:
                    kwargs["content_type"] = content_type
            headers["X-CSRFToken"] = token
        before = world.snapshot()
        response = client.open(path, **kwargs)
        response.close()  # a static file's handle
        note = f"{method} {path!r} as {role}: {response.status_code}"
        assert response.status_code < 500, note
        if response.status_code >= 400:
            assert world.snapshot() == before, f"refused, yet data changed: {note}"

    fuzz()
    assert COUNTS[key] >= MIN_EXAMPLES


def test_every_route_is_fuzzed_and_the_total_is_at_least_a_thousand():
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "collect-the-url-map-only-here", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    served = {
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == {(endpoint, method) for endpoint, method, _rule in CASES}
    # Each case asserts it ran at least MIN_EXAMPLES inputs, so all cases together run at least this many.
    assert len(CASES) * MIN_EXAMPLES >= TOTAL_AT_LEAST


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tokens/99999999999999999999/revoke",
        "/admin/questionnaire/9223372036854775808/sections/1/move",
        "/admin/questionnaire/1/items/2147483648/move",
    ],
)
def test_ids_too_large_for_any_database_are_simply_not_found(auth, client, path):
    auth.as_role("admin")
    token = csrf_token(client.get("/admin/tokens/").text)
    response = client.post(path, data={"csrf_token": token, "direction": "up"}, headers={"Accept-Language": "en"})
    assert response.status_code == 404 and "Page not found" in response.text


def test_a_street_without_communities_does_not_break_the_dashboards(auth, client):
    """Found by the fuzz: a new street (no communities yet) made the district dashboard fail."""
    auth.as_role("admin")
    page = client.get("/admin/communities/streets/new")
    created = client.post(
        "/admin/communities/streets/new",
        data={"csrf_token": csrf_token(page.text), "code": "s-empty", "name_zh": "空街道", "name_en": "Empty"},
    )
    assert created.status_code == 302
    for path in ("/admin/dashboard/district", "/admin/exports/district.csv", "/api/v1/stats", "/"):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200, path
