"""Simulated residents for the system tests: a small browser, the survey journey, the load driver, the checks.

Each resident has a cookie jar of their own and reads the CSRF token and the questions from the pages, as a
browser does. ``run_load`` drives many of them from threads; ``verify`` compares what they were shown with
what the database holds.
"""

import hashlib
import hmac
import http.client
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

from sqlalchemy import create_engine, text

REQUEST_TIMEOUT = 20  # seconds, per HTTP request


# ---------------------------------------------------------------------------------------------- HTTP client


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict
    text: str

    @property
    def location(self):
        """The redirect target's path (with query), or ''."""
        target = self.headers.get("location", "")
        parts = urllib.parse.urlsplit(target)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Browser:
    """A minimal browser: its own cookie jar, no redirects followed, a timeout on every request."""

    def __init__(self, base_url, timeout=REQUEST_TIMEOUT, on_status=None):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout, self.cookies, self.on_status = timeout, {}, on_status

    def clone(self):
        """Another browser with a copy of this one's cookies (two tabs, or a double tap)."""
        twin = Browser(f"http://{self.host}:{self.port}", self.timeout, self.on_status)
        twin.cookies = dict(self.cookies)
        return twin

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)

    def request(self, method, path, form=None):
        headers = {"Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "civic-survey-system-test"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            for header in answer.headers.get_all("Set-Cookie") or []:
                self._remember(header)
            reply = Reply(
                answer.status, {k.lower(): v for k, v in answer.getheaders()}, payload.decode("utf-8", errors="replace")
            )
        finally:
            connection.close()
        if self.on_status:
            self.on_status(reply.status)
        return reply

    def _remember(self, header):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            if expired or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


class FormParser(HTMLParser):
    """A page's first CSRF token, its survey answer fields, its other inputs' values and every <option> value."""

    def __init__(self):
        super().__init__()
        self.csrf, self.fields, self.options, self.inputs = None, {}, [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "option" and attrs.get("value"):
            self.options.append(attrs["value"])
        if tag != "input":
            return
        name, kind = attrs.get("name") or "", (attrs.get("type") or "text").lower()
        if name and kind not in {"radio", "checkbox", "submit"}:
            self.inputs.setdefault(name, attrs.get("value") or "")
        if name == "csrf_token" and self.csrf is None:
            self.csrf = attrs.get("value")
        elif name.startswith("item-"):
            entry = self.fields.setdefault(name, {"type": kind, "values": []})
            if kind in {"radio", "checkbox"}:
                entry["values"].append(attrs.get("value"))


def parse_form(html):
    parser = FormParser()
    parser.feed(html)
    return parser


FILL_IN_ANSWERS = ["富强民主文明和谐", "12345", "可回收物", "不知道", "volunteer", "  全角ＡＢＣ  "]


def random_answers(fields, rng):
    """A complete, valid answer set for a section's fields, chosen at random."""
    answers = {}
    for name, spec in fields.items():
        if spec["type"] == "radio":
            answers[name] = rng.choice(spec["values"])
        elif spec["type"] == "checkbox":
            answers[name] = rng.sample(spec["values"], rng.randint(1, len(spec["values"])))
        else:
            answers[name] = rng.choice(FILL_IN_ANSWERS)
    return answers


# ---------------------------------------------------------------------------------------------- load driver


class JourneyError(AssertionError):
    """A step of the resident's journey did not answer as a browser expects."""


@dataclass
class Tally:
    """What the simulated residents saw; shared by every resident thread (guarded by ``lock``)."""

    sent: int = 0  # final submissions posted (a double tap counts once: it is one attempt)
    acknowledged: list = field(default_factory=list)  # (resident index, public id) shown on a result page
    server_errors: int = 0  # answers with a 5xx status
    requests: int = 0
    connection_errors: int = 0  # refused or reset connections (expected only around a kill)
    journey_errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, code):
        with self.lock:
            self.requests += 1
            if code >= 500:
                self.server_errors += 1


class Resident:
    """One simulated resident: a browser of their own, a community, and a first attempt plus maybe retakes."""

    def __init__(self, index, base_url, tally, rng, community):
        self.index, self.tally, self.rng, self.community = index, tally, rng, community
        self.browser = Browser(base_url, on_status=tally.status)
        self.attempts_sent, self.acknowledged, self.result_path = 0, [], None
        # The step of a posted attempt that has not been acknowledged yet: ("post", path, form) until the
        # final POST is answered, then ("get", result path, None) until the result page is read.
        self.pending = None

    @property
    def participant_token(self):
        return self.browser.cookies.get("participant")

    def take_survey(self, double_tap=False):
        """Start (or retake), answer every section, submit, and read the result page; return the public id."""
        if self.result_path is None:
            entry = self._expect(self.browser.get(f"/c/{self.community}"), 200, "community entry")
            csrf = parse_form(entry.text).csrf
            started = self.browser.post("/survey/start", {"community": self.community, "csrf_token": csrf})
        else:
            result = self._expect(self.browser.get(self.result_path), 200, "result page before retake")
            csrf = parse_form(result.text).csrf
            started = self.browser.post("/survey/retake", {"community": self.community, "csrf_token": csrf})
        location = self._redirect(started, "/survey/section/1", "start")
        while True:
            page = self._expect(self.browser.get(location), 200, location)
            form = parse_form(page.text)
            if not form.fields:
                raise JourneyError(f"resident {self.index}: {location} shows no questions")
            payload = {**random_answers(form.fields, self.rng), "csrf_token": form.csrf, "forward": "x"}
            is_last = _looks_last(page.text)
            if is_last:
                with self.tally.lock:
                    self.tally.sent += 1
                self.attempts_sent += 1
                self.pending = ("post", location, payload)
                posted = self._submit(location, payload, double_tap)
            else:
                posted = self.browser.post(location, payload)
            if posted.status != 302:
                raise JourneyError(f"resident {self.index}: POST {location} answered {posted.status}")
            location = posted.location
            if location.startswith("/survey/result/"):
                break
            if not is_last and not location.startswith("/survey/section/"):
                raise JourneyError(f"resident {self.index}: POST answered a redirect to {location}")
        return self._read_result(location)

    def resume(self):
        """After a dropped connection, do what a resident does: press the button again (the same form, the
        same cookies) or reload the result page. Returns the public id once the result page shows."""
        step, location, payload = self.pending
        if step == "post":
            posted = self.browser.post(location, payload)
            if posted.status != 302 or not posted.location.startswith("/survey/result/"):
                raise JourneyError(f"resident {self.index}: posting again answered {posted.status} {posted.location!r}")
            location = posted.location
        return self._read_result(location)

    def _read_result(self, location):
        """Read the result page of a stored attempt: the moment a submission counts as acknowledged."""
        self.pending = ("get", location, None)
        result = self._expect(self.browser.get(location), 200, "result page")
        if 'class="score-card"' not in result.text:
            raise JourneyError(f"resident {self.index}: the result page shows no score")
        public_id = location.rsplit("/", 1)[1]
        self.result_path, self.pending = location, None
        self.acknowledged.append(public_id)
        with self.tally.lock:
            self.tally.acknowledged.append((self.index, public_id))
        return public_id

    def _submit(self, location, payload, double_tap):
        """The final POST; a double tap sends it twice at once with the same cookies (both must agree)."""
        if not double_tap:
            return self.browser.post(location, payload)
        twin = self.browser.clone()
        replies = {}
        second = threading.Thread(target=lambda: replies.setdefault("twin", _safe_post(twin, location, payload)))
        second.start()
        first = self.browser.post(location, payload)
        second.join(REQUEST_TIMEOUT + 5)
        other = replies.get("twin")
        if isinstance(other, Reply) and (other.status, other.location) != (first.status, first.location):
            raise JourneyError(
                f"resident {self.index}: a double tap was answered {first.status} "
                f"{first.location!r} and {other.status} {other.location!r}"
            )
        return first

    def _expect(self, reply, status, what):
        if reply.status != status:
            raise JourneyError(f"resident {self.index}: {what} answered {reply.status}")
        return reply

    def _redirect(self, reply, prefix, what):
        if reply.status != 302 or not reply.location.startswith(prefix):
            raise JourneyError(f"resident {self.index}: {what} answered {reply.status} {reply.location!r}")
        return reply.location


def _safe_post(browser, location, payload):
    try:
        return browser.post(location, payload)
    except OSError as error:
        return error


TITLE_PART = re.compile(r"<title>[^<]*\((\d+)/(\d+)\)")


def _looks_last(html):
    """True on the questionnaire's last part: its <title> ends "(n/n)"."""
    match = TITLE_PART.search(html)
    if match is None:
        raise JourneyError("a survey part shows no 'part n of m' in its title")
    return match.group(1) == match.group(2)


def community_codes(base_url):
    """The community codes offered on the survey's start page."""
    page = Browser(base_url).get("/survey/")
    codes = [value for value in parse_form(page.text).options if value]
    if not codes:
        raise JourneyError("the start page offers no community")
    return codes


@dataclass
class LoadPlan:
    """How much load: ``submissions`` attempts from ``concurrency`` residents, within ``deadline`` seconds."""

    submissions: int
    concurrency: int = 50
    deadline: float = 110.0
    retake_share: float = 0.2  # residents who retake once (a practice attempt)
    double_tap_share: float = 0.1  # final submissions posted twice at once
    stagger: float = 2.0  # residents arrive over this many seconds, not all in one wave
    seed: int = 1


def run_load(base_urls, plan, tally=None, stop=None, residents=None):
    """Drive ``plan.submissions`` attempts through the servers (round-robin per resident); return the residents.

    ``stop`` is a threading.Event that ends the run early (the crash test sets it after the kill);
    connection errors then end a resident quietly instead of failing the run.
    """
    tally = tally or Tally()
    stop = stop or threading.Event()
    codes = community_codes(base_urls[0])
    residents = residents if residents is not None else []
    budget = {"left": plan.submissions}
    budget_lock = threading.Lock()
    until = time.monotonic() + plan.deadline

    def take_ticket():
        with budget_lock:
            if budget["left"] <= 0:
                return False
            budget["left"] -= 1
            return True

    def resident_loop(worker_index):
        local_rng = random.Random(plan.seed * 1000 + worker_index)
        time.sleep(local_rng.uniform(0, plan.stagger))
        while not stop.is_set() and time.monotonic() < until and take_ticket():
            with budget_lock:
                resident = Resident(
                    len(residents),
                    base_urls[len(residents) % len(base_urls)],
                    tally,
                    random.Random(local_rng.random()),
                    local_rng.choice(codes),
                )
                residents.append(resident)
            try:
                resident.take_survey(double_tap=local_rng.random() < plan.double_tap_share)
                if local_rng.random() < plan.retake_share and take_ticket():
                    if len(base_urls) > 1:  # the retake goes to another instance
                        other = base_urls[(base_urls.index(_base(resident.browser)) + 1) % len(base_urls)]
                        resident.browser = _rebase(resident.browser, other)
                    resident.take_survey(double_tap=local_rng.random() < plan.double_tap_share)
            except (OSError, http.client.HTTPException) as error:
                with tally.lock:
                    tally.connection_errors += 1
                if not stop.is_set():
                    with tally.lock:
                        tally.journey_errors.append(f"resident {resident.index}: {type(error).__name__}: {error}")
            except JourneyError as error:
                with tally.lock:
                    tally.journey_errors.append(str(error))

    threads = [threading.Thread(target=resident_loop, args=(n,), daemon=True) for n in range(plan.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, until - time.monotonic() + REQUEST_TIMEOUT + 5))
    if any(thread.is_alive() for thread in threads):
        stop.set()
        tally.journey_errors.append("the run did not finish before its deadline")
    return tally, residents


def _base(browser):
    return f"http://{browser.host}:{browser.port}"


def _rebase(browser, base_url):
    moved = Browser(base_url, browser.timeout, browser.on_status)
    moved.cookies = browser.cookies
    return moved


# ---------------------------------------------------------------------------------------------- verification


def participant_hash(secret_key, token):
    """The keyed hash the server stores for a participant token (survey.questionnaire.services)."""
    return hmac.new(secret_key.encode(), b"participant:" + token.encode(), hashlib.sha256).hexdigest()


@dataclass
class Count:
    """The closing counts of a run."""

    database: str
    sent: int
    acknowledged: int
    stored: int
    lost: int
    doubled: int
    server_errors: int
    problems: list

    def line(self):
        return (
            f"[{self.database}] sent={self.sent} acknowledged={self.acknowledged} stored={self.stored} "
            f"lost={self.lost} doubled={self.doubled} 5xx={self.server_errors}"
        )


def verify(database, secret_key, tally, residents):
    """Compare what residents were shown with what the database holds; returns a Count with any problems."""
    engine = create_engine(database.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT r.public_id, r.participant_hash, r.is_counted, r.attempt_number, c.code "
                    "FROM response r JOIN community c ON c.id = r.community_id"
                )
            ).all()
            participants_rollup = dict(
                connection.execute(
                    text(
                        "SELECT c.code, sum(s.participants) FROM stats_day s JOIN community c ON c.id = s.community_id "
                        "GROUP BY c.code"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    problems = []
    by_public_id, by_participant = {}, {}
    for row in rows:
        by_public_id[row.public_id] = by_public_id.get(row.public_id, 0) + 1
        by_participant.setdefault(row.participant_hash, []).append(row)
    acknowledged_ids = [public_id for _, public_id in tally.acknowledged]
    lost = sum(1 for public_id in acknowledged_ids if public_id not in by_public_id)
    doubled = sum(count - 1 for count in by_public_id.values() if count > 1)
    known_hashes, expected_participants = set(), {}
    for resident in residents:
        if resident.participant_token is None:
            continue
        digest = participant_hash(secret_key, resident.participant_token)
        known_hashes.add(digest)
        stored = by_participant.get(digest, [])
        # More rows than attempts the resident posted: a submission stored twice under two ids.
        doubled += max(0, len(stored) - resident.attempts_sent)
        if len(stored) < len(resident.acknowledged):
            problems.append(
                f"resident {resident.index}: {len(resident.acknowledged)} acknowledged, {len(stored)} stored"
            )
        counted = [row for row in stored if row.is_counted]
        if stored and len(counted) != 1:
            problems.append(f"resident {resident.index}: {len(counted)} counted attempts (must be 1)")
        if sorted(row.attempt_number for row in stored) != list(range(1, len(stored) + 1)):
            problems.append(
                f"resident {resident.index}: attempt numbers {sorted(row.attempt_number for row in stored)}"
            )
        if counted:
            expected_participants[counted[0].code] = expected_participants.get(counted[0].code, 0) + 1
        if stored and any(row.code != resident.community for row in stored):
            problems.append(f"resident {resident.index}: stored for another community")
    strangers = [digest for digest in by_participant if digest not in known_hashes]
    if strangers:
        problems.append(f"{len(strangers)} participants nobody simulated")
    if {code: n for code, n in participants_rollup.items() if n} != expected_participants:
        problems.append(f"participants per community {participants_rollup} != residents {expected_participants}")
    return Count(
        database.kind, tally.sent, len(acknowledged_ids), len(rows), lost, doubled, tally.server_errors, problems
    )
