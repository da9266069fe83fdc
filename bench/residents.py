"""What the load test sends: residents' final submissions, an in-progress attempt, staff logins and an API token.

Each prepared submission is a distinct resident (own participant cookie, own attempt id, own CSRF token)
on the last part of the questionnaire: the signed session cookie holds the answers to the earlier parts,
exactly as the product's own attempt module keeps them (``survey.questionnaire.attempt``), and the body
holds the last part's answers, the CSRF token and the submit button. The cookie is made by the product's
session interface with the server's secret key, so no request is needed to prepare it.
"""

import random
import re
import urllib.parse
from contextlib import contextmanager

from sqlalchemy import create_engine, func, select

from .dataset import SECRET_KEY, STAFF_PASSWORD, sqlalchemy_url
from .load import cookie_header, cookies_from, request


class _Ref:
    """Stands for a version or community: ``attempt.start`` only reads their ``id``."""

    def __init__(self, identifier):
        self.id = identifier


def product_app(url):
    """The product app on ``url`` with the bench server's secret key (built here, never served)."""
    from survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": SECRET_KEY})


class Residents:
    """Prepares submissions for the database of ``app``, signed with its secret key."""

    def __init__(self, app, seed=7):
        self.app = app
        self.rng = random.Random(seed)
        self._context = self._serializer = None
        with self.app.app_context():
            from survey.extensions import db
            from survey.models import Community
            from survey.questionnaire.services import current_version

            version = current_version()
            if version is None:
                raise RuntimeError("the benchmark database has no published questionnaire")
            sections = version.sections
            self.last_number = len(sections)
            self.items = [self._plan(item) for item in version.items]
            last_ids = {item.id for item in sections[-1].items}
            self.before = [plan for plan in self.items if plan[0] not in last_ids]
            self.last = [plan for plan in self.items if plan[0] in last_ids]
            self.community_ids = list(db.session.scalars(select(Community.id)))
            self.version_id = version.id
            db.session.remove()
            db.engine.dispose()

    @staticmethod
    def _plan(item):
        accepted = [answer.text for answer in item.accepted_answers]
        return item.id, item.question_type, [option.id for option in item.options], accepted

    def _answer(self, plan):
        """A plausible answer to every item, as the form would coerce it (int, list of ints, text)."""
        _, kind, options, accepted = plan
        if kind == "fillin":
            return accepted[0] if accepted and self.rng.random() < 0.6 else "不知道"
        if kind == "multiple":
            return sorted(self.rng.sample(options, self.rng.randint(1, len(options))))
        return self.rng.choice(options)

    @property
    def submit_path(self):
        """The last part's URL: its forward POST stores the response."""
        return f"/survey/section/{self.last_number}"

    def _session_cookie(self, answers):
        """A session cookie with a fresh attempt holding ``answers``, and a CSRF token for it."""
        from flask import g, session
        from flask_wtf.csrf import generate_csrf

        from survey.questionnaire import attempt as attempts
        from survey.questionnaire.services import new_participant_token

        session.clear()
        g.pop("csrf_token", None)
        started = attempts.start(_Ref(self.version_id), _Ref(self.rng.choice(self.community_ids)))
        attempts.store_answers(started, answers)
        token = generate_csrf()
        jar = {
            self.app.config["SESSION_COOKIE_NAME"]: self._serializer.dumps(dict(session)),
            "participant": new_participant_token(),
        }
        return cookie_header(jar), token

    @contextmanager
    def _request(self):
        """One request context for a whole batch of residents: pushing one per resident is slow."""
        if self._context is not None:
            yield
            return
        self._context = self.app.test_request_context(self.submit_path, method="POST")
        try:
            with self._context:
                self._serializer = self.app.session_interface.get_signing_serializer(self.app)
                yield
        finally:
            self._context = None

    def submission(self):
        """``(Cookie header, form body)`` of one resident's final, complete submission."""
        with self._request():
            cookie, token = self._session_cookie({plan[0]: self._answer(plan) for plan in self.before})
        fields = [("csrf_token", token)]
        for plan in self.last:
            value = self._answer(plan)
            for one in value if isinstance(value, list) else [value]:
                fields.append((f"item-{plan[0]}", str(one)))
        fields.append(("forward", "1"))
        return cookie, urllib.parse.urlencode(fields)

    def write_submissions(self, path, count):
        """Write ``count`` distinct submissions, one ``cookie<TAB>body`` line each."""
        with open(path, "w") as stream, self._request():
            for _ in range(count):
                cookie, body = self.submission()
                stream.write(f"{cookie}\t{body}\n")

    def survey_page_cookie(self):
        """The Cookie header of a resident who has just started (for GET of the first part)."""
        with self._request():
            return self._session_cookie({})[0]


def count_responses(url):
    """Responses stored in the database at ``url``."""
    from survey.models import Response

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Response.__table__))
    finally:
        engine.dispose()


def staff_cookie(base, username):
    """Log ``username`` in through the live login form; return the Cookie header of its session."""
    status, headers, body = request("GET", base + "/admin/login")
    jar = cookies_from(headers)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or not match:
        raise RuntimeError(f"login page answered {status} without a CSRF token")
    form = urllib.parse.urlencode(
        {"csrf_token": match.group(1), "username": username, "password": STAFF_PASSWORD, "next": ""}
    )
    status, headers, _ = request(
        "POST",
        base + "/admin/login",
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)},
    )
    if status != 302:
        raise RuntimeError(f"login as {username} answered {status}, not a redirect")
    jar = cookies_from(headers, jar)
    # Open the page the login leads to, as a browser does: it shows (and uses up) the welcome message, and the
    # browser keeps the cookie without it. Replaying the login's own cookie would show that message again on
    # every request of the load test, a page no staff member ever gets twice.
    location = urllib.parse.urljoin(base + "/admin/login", headers.get("Location") or "/admin/")
    status, headers, _ = request("GET", location, headers={"Cookie": cookie_header(jar)})
    if status != 200:
        raise RuntimeError(f"the page after logging in as {username} answered {status}")
    return cookie_header(cookies_from(headers, jar))


def api_token(app, username):
    """A Bearer token for ``username``, made as ``flask create-token`` makes it (the working copy is fresh)."""
    from survey.api.tokens import create_token
    from survey.extensions import db

    with app.app_context():
        secret = create_token(username, "bench")[1]
        db.session.remove()
        db.engine.dispose()
    return secret
