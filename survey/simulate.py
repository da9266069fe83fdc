"""Synthetic residents at campaign scale, for demos, load tests and benchmarks (``flask simulate-responses``).

Every answer a synthetic resident can give is scored once, up front, by the real scorer
(``coerce`` and ``score``) and packed once (``pack_answers``' form); each response is then assembled from
those scored answers: the stored row is exactly what a web submission of the same answers stores.
Rows go to the database in batches through the driver itself (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), and the rollups are updated in the same transaction as each batch, so the dashboards always
equal a recount. The counts of a batch are kept per answer (``Counter`` over the answers' numbers) and
turned into rollup sums once per batch. When there are two batches or more, a forked process makes them
while this one writes them (``_made``).
"""

import gc
import json
import multiprocessing
import random
import secrets
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from itertools import combinations
from operator import itemgetter
from queue import Empty

from sqlalchemy import select

from . import sqltext
from .extensions import db
from .localtime import day_finder
from .models import Community
from .models.base import utcnow
from .questionnaire.scoring import coerce, score
from .questionnaire.services import answer_rows, current_version, version_keys
from .stats import rollup

RESPONSE_COLUMNS = (
    "public_id",
    "version_id",
    "community_id",
    "participant_hash",
    "attempt_number",
    "is_counted",
    "knowledge_correct",
    "knowledge_total",
    "submitted_at",
    "answers",
)
WRONG_TEXTS = ("不知道", "?", "dunno")
SKIP_OPTIONAL = 0.3  # the chance that a synthetic resident leaves an optional item unanswered
_BELOW_ONE = 1.0 - 2.0**-53
SQLITE_CACHE_KIB = 131072
PREFIX_DIGITS = 13
_last_prefix = 0


@dataclass(frozen=True)
class Answer:
    """One scored answer to one item: its number in the menus' table and its stored form."""

    number: int
    stored: tuple  # (item_id, value, is_correct, is_positive), as ``answer_rows`` gives it
    packed: str  # the stored form as one element of the packed JSON array
    correct: bool


@dataclass(frozen=True)
class Menu:
    """What a synthetic resident may answer to one item."""

    required: bool
    knowledge: bool
    right: tuple  # numbers of the correct answer(s) of a knowledge item, or an opinion item's positive answers
    sizes: tuple  # numbers of any answer, grouped by number of options ticked (one group unless multiple choice)


def _scored(table, key, raw):
    value = coerce(key, raw)
    (stored,) = answer_rows([(key, value, score(key, value))])
    answer = Answer(
        len(table), tuple(stored), json.dumps(stored, ensure_ascii=False, separators=(",", ":")), bool(stored[2])
    )
    table.append(answer)
    return answer.number


def menus(version, keys=None):
    """(One Menu per item of ``version`` in item id order, the table of every scored Answer they number)."""
    keys = keys if keys is not None else version_keys(version)
    result, table = [], []
    for item, key in sorted(zip(version.items, keys, strict=True), key=lambda pair: pair[1].id):
        options = sorted(key.option_ids)
        if key.question_type == "fillin":
            accepted = [answer.text for answer in item.accepted_answers]
            right = tuple(_scored(table, key, text) for text in accepted[:1])
            sizes = ((*right, *(_scored(table, key, text) for text in WRONG_TEXTS)),)
        elif key.question_type == "multiple":
            right = (_scored(table, key, sorted(key.correct)),)
            sizes = tuple(
                tuple(_scored(table, key, list(subset)) for subset in combinations(options, size))
                for size in range(1, len(options) + 1)
            )
        else:
            wanted = key.correct if key.is_knowledge else key.positive
            every = tuple(_scored(table, key, option_id) for option_id in options)
            right = tuple(number for number, option_id in zip(every, options, strict=True) if option_id in wanted)
            sizes = (every,)
        result.append(Menu(key.is_required, key.is_knowledge, right, sizes))
    return result, table


def answer_as(menu_list, rng, skill):
    """The numbers of the answers of one synthetic resident who knows each fact (or leans positive) with
    chance ``skill``, in item id order.

    One uniform draw decides each item: where it falls picks skipping it (an optional item, chance
    ``SKIP_OPTIONAL``), the right answer or any answer, and the rest of it, stretched back to [0, 1),
    picks which one. That is the distribution of one draw per choice, at less than half the draws (3.4
    against 7.3 million for 100,000 residents of the demo questionnaire).
    """
    chosen, draw, lean = [], rng.random, 0.5 + skill / 2
    append = chosen.append
    for menu in menu_list:
        u = draw()
        if not menu.required:
            if u < SKIP_OPTIONAL:
                continue
            u = _stretched((u - SKIP_OPTIONAL) / (1 - SKIP_OPTIONAL))
        right = menu.right
        if right:
            chance = skill if menu.knowledge else lean
            if u < chance:
                append(right[int(_stretched(u / chance) * len(right))])
                continue
            u = _stretched((u - chance) / (1 - chance))
        sizes = menu.sizes
        u *= len(sizes)
        group = sizes[int(u)]
        append(group[int((u - int(u)) * len(group))])
    return chosen


def _stretched(u):
    """``u`` kept below 1 (a division of a number below 1 by a little more can round up to 1.0)."""
    return u if u < 1.0 else _BELOW_ONE


class _Writer:
    """Batched inserts through the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self):
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        if not self.postgres:
            # Room for the indexes' pages (random keys: public id, participant hash) while a batch is
            # written; SQLite's default cache (2 MB) makes every insert re-read index pages.
            self.connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    def insert(self, table, columns, rows):
        # ``table`` and ``columns`` are this module's constants, never input; the values are parameters.
        if not rows:
            return
        driver = self.connection.connection.driver_connection
        if self.postgres:
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


def simulate_responses(count, community=None, seed=None, days=30, retake_share=0.15, batch_size=20000):
    """Store ``count`` synthetic responses over ``days`` past days; return the number stored.

    About ``retake_share`` of them are retakes by earlier synthetic participants (practice attempts,
    with a better chance of knowing each fact). When there is more than one batch, a second process
    (forked) makes the batches while this one writes them: the two halves of the work take about as
    long, so on two cores the run takes about half the time, and the data is the same for a seed.
    """
    version = current_version()
    if version is None:
        raise ValueError("no published questionnaire version")
    communities = [community.id] if community is not None else db.session.scalars(select(Community.id)).all()
    if not communities:
        raise ValueError("no communities")
    timestamp = partial(sqltext.stored, db.session.connection().dialect)
    plan = _Plan(
        version.id,
        communities,
        *menus(version),
        random.Random(seed),
        days,
        retake_share,
        batch_size,
        timestamp,
        day_finder(),
    )
    stored = 0
    # A batch is a million small acyclic objects that reference counting frees; the cyclic collector
    # would only rescan them again and again (a third of the run time), so it waits until the end
    # (in the forked maker too: it starts with the collector as this process has it).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _made(plan, count) as batches:
            for rows, days_sums, item_sums, before, after in batches:
                _Writer().insert("response", RESPONSE_COLUMNS, rows)
                rollup.add_sums(days_sums, item_sums)
                rollup.add_gain_change(version.id, before, after)
                db.session.commit()
                stored += len(rows)
    finally:
        if collecting:
            gc.enable()
    return stored


@dataclass
class _Plan:
    """What making the batches needs; nothing in it touches the database."""

    version_id: int
    communities: list
    menu_list: list
    table: list
    rng: random.Random
    days: int
    retake_share: float
    batch_size: int
    timestamp: object  # naive UTC datetime -> what the driver takes (sqltext.stored)
    local_day: object  # naive UTC datetime -> the district's day (localtime.day_finder)


def _make(plan, count):
    """Yield the batches of ``count`` responses: (rows to insert in RESPONSE_COLUMNS' order, day sums, item
    sums, learning-gain contributions of the batch's retakers before the batch, and after it)."""
    rng, draw = plan.rng, plan.rng.random
    skills = {community_id: rng.uniform(0.45, 0.9) for community_id in plan.communities}
    menu_list, table, communities = plan.menu_list, plan.table, plan.communities
    packed = [answer.packed for answer in table]
    correct = [int(answer.correct) for answer in table]
    scored = [int(answer.stored[2] is not None) for answer in table]
    knowledge_total = sum(1 for menu in menu_list if menu.knowledge)
    # Submissions follow each other through the ``days`` up to now (a campaign's responses arrive over
    # time, and a retake after the first attempt), each at a random moment of its own slot.
    step = timedelta(days=plan.days) / count
    start = utcnow() - timedelta(days=plan.days)
    # [hash, community id, attempts so far, first score, latest score]: every attempt of these participants
    # is made here, so their learning gain is known without reading it back.
    participants = []
    made = 0
    while made < count:
        batch, size = [], min(plan.batch_size, count - made)
        before, retakers = {}, {}  # hash -> the participant before this batch's retakes, and after
        public_ids, hashes = _synthetic_keys(32, size), _synthetic_keys(64, size)
        for _ in range(size):
            if participants and draw() < plan.retake_share:
                participant = participants[int(draw() * len(participants))]
                if participant[0] not in before:
                    before[participant[0]] = participant.copy()
                    retakers[participant[0]] = participant
                participant[2] += 1
                attempt = participant[2]
                skill = min(0.98, skills[participant[1]] + 0.1 * (attempt - 1))
            else:
                participant = [next(hashes), communities[int(draw() * len(communities))], 1, None, None]
                participants.append(participant)
                attempt, skill = 1, skills[participant[1]]
            numbers = answer_as(menu_list, rng, skill)
            right = sum(map(correct.__getitem__, numbers))
            participant[4] = right / knowledge_total if knowledge_total else None
            if attempt == 1:
                participant[3] = participant[4]
            batch.append(
                (
                    next(public_ids),
                    participant[0],
                    participant[1],
                    attempt,
                    start + step * (made + len(batch) + draw()),
                    numbers,
                    "[" + ",".join(map(packed.__getitem__, numbers)) + "]",
                    right,
                    sum(map(scored.__getitem__, numbers)),
                )
            )
        made += size
        yield (*_sums(plan, knowledge_total, batch), _gains(before), _gains(retakers))
        if len(participants) > 200_000:
            participants = participants[-100_000:]


@contextmanager
def _made(plan, count):
    """The batches of ``_make``: from a forked process when there are two or more, else made here."""
    if count <= plan.batch_size or "fork" not in multiprocessing.get_all_start_methods():
        yield _make(plan, count)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)  # the maker stays at most two batches ahead of the writer
    maker = context.Process(target=_send, args=(plan, count, queue), name="simulate-maker", daemon=True)
    maker.start()
    try:
        yield _received(queue, maker)
    finally:
        if maker.is_alive():
            maker.terminate()
        maker.join()


def _send(plan, count, queue):
    """The maker process: every batch into ``queue``, then ``None``; or the error that stopped it."""
    try:
        for batch in _make(plan, count):
            queue.put(batch)
    except BaseException as error:  # noqa: BLE001 (handed to the writer, which raises it)
        queue.put(RuntimeError(f"making synthetic responses failed: {error!r}"))
    else:
        queue.put(None)


def _received(queue, maker):
    """The batches the maker sends, until its ``None``; its error raised here; an error too if it dies."""
    while True:
        try:
            batch = queue.get(timeout=5)
        except Empty:
            if maker.is_alive():
                continue
            raise RuntimeError(f"the process making synthetic responses stopped (exit code {maker.exitcode})") from None
        if batch is None:
            return
        if isinstance(batch, Exception):
            raise batch
        yield batch


def _synthetic_keys(length, count):
    """``count`` unique hexadecimal keys of ``length`` digits (public ids, participant hashes), increasing.

    A synthetic resident has no cookie, so its participant hash is not an HMAC but a key of the same form.
    Each key is a clock reading in microseconds (13 digits, never repeating in this process) followed
    by random digits: unguessable still, and in increasing order, so a batch's inserts append to the
    public id and participant indexes instead of rewriting every page of them (at a million responses,
    random keys made each batch rewrite those indexes whole).
    """
    global _last_prefix
    first = max(time.time_ns() // 1000, _last_prefix + 1)
    _last_prefix = first + count
    size = length - PREFIX_DIGITS
    digits = secrets.token_hex((size + 1) // 2 * count)
    return iter([f"{first + index:013x}{digits[index * size : (index + 1) * size]}" for index in range(count)])


def _gains(participants):
    """{hash: (community of the counted attempt, latest − first score)} for those with two attempts or more,
    as ``rollup.gain_contributions`` reads it from the database."""
    return {
        participant: (community_id, latest - first)
        for participant, community_id, attempts, first, latest in participants.values()
        if attempts >= 2 and first is not None and latest is not None
    }


def _sums(plan, knowledge_total, batch):
    """(The batch's rows to insert, its daily and item rollup sums)."""
    version_id, timestamp = plan.version_id, plan.timestamp
    # In participant order (stable: a participant's attempts keep their order, so the latest has the
    # highest id): the inserts then walk the participant indexes instead of jumping about them.
    rows = sorted(
        [
            (
                public_id,
                version_id,
                community_id,
                participant,
                attempt,
                attempt == 1,
                correct,
                knowledge_total,
                timestamp(submitted_at),
                answers,
            )
            for public_id, participant, community_id, attempt, submitted_at, _, answers, correct, _ in batch
        ],
        key=itemgetter(3),
    )
    days = defaultdict(lambda: dict.fromkeys(rollup.DAY_SUMS, 0))
    chosen = defaultdict(Counter)  # community id -> how often each answer (by number) was given
    local_day = plan.local_day  # the district's day, as the web path counts it (rollup.counted_sums)
    for _, _, community_id, attempt, submitted_at, numbers, _, correct, given in batch:
        if attempt != 1:
            continue
        day = days[(version_id, community_id, local_day(submitted_at))]
        rollup.add_attempts(day, correct, knowledge_total)
        day["knowledge_correct"] += correct
        day["knowledge_answers"] += given
        chosen[community_id].update(numbers)
    items = defaultdict(lambda: dict.fromkeys(rollup.ITEM_SUMS, 0))
    for community_id, tally in chosen.items():
        for number, times in tally.items():
            item_id, _, is_correct, is_positive = plan.table[number].stored
            sums = items[(version_id, community_id, item_id)]
            sums["answered"] += times
            if is_correct is not None:
                sums["scored"] += times
                sums["correct"] += times if is_correct else 0
            if is_positive is not None:
                sums["rated"] += times
                sums["positive"] += times if is_positive else 0
    return rows, dict(days), dict(items)  # plain dicts: the batch is pickled to the writer
