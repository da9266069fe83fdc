"""Synthetic residents at campaign scale, for demos, load tests and benchmarks (``flask simulate-responses``).

Every answer a synthetic resident can give is scored once, up front, by the real scorer
(``coerce`` and ``score``) and packed once (``pack_answers``' form); each response is then assembled from
those scored answers: the stored row is exactly what a web submission of the same answers stores.
Rows go to the database in batches through the driver itself (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), and the rollups are updated in the same transaction as each batch, so the dashboards always
equal a recount. The counts of a batch are kept per answer (``Counter`` over the answers' numbers) and
turned into rollup sums once per batch.
"""
import gc
import json
import random
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations
from operator import itemgetter

from sqlalchemy import select

from . import sqltext
from .extensions import db
from .localtime import day_finder
from .models import Community
from .models.base import utcnow
from .questionnaire.scoring import coerce, score
from .questionnaire.services import answer_rows, current_version, version_keys
from .stats import rollup

RESPONSE_COLUMNS = ("public_id", "version_id", "community_id", "participant_hash", "attempt_number", "is_counted",
                    "knowledge_correct", "knowledge_total", "submitted_at", "answers")
WRONG_TEXTS = ("不知道", "?", "dunno")
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
    stored, = answer_rows([(key, value, score(key, value))])
    answer = Answer(len(table), tuple(stored), json.dumps(stored, ensure_ascii=False, separators=(",", ":")),
                    bool(stored[2]))
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
            sizes = tuple(tuple(_scored(table, key, list(subset)) for subset in combinations(options, size))
                          for size in range(1, len(options) + 1))
        else:
            wanted = key.correct if key.is_knowledge else key.positive
            every = tuple(_scored(table, key, option_id) for option_id in options)
            right = tuple(number for number, option_id in zip(every, options, strict=True) if option_id in wanted)
            sizes = (every,)
        result.append(Menu(key.is_required, key.is_knowledge, right, sizes))
    return result, table


def answer_as(menu_list, rng, skill):
    """The numbers of the answers of one synthetic resident who knows each fact (or leans positive) with
    chance ``skill``, in item id order."""
    chosen, draw, lean = [], rng.random, 0.5 + skill / 2
    for menu in menu_list:
        if not menu.required and draw() < 0.3:
            continue
        right = menu.right
        if right and draw() < (skill if menu.knowledge else lean):
            chosen.append(right[int(draw() * len(right))])
        else:
            sizes = menu.sizes
            group = sizes[int(draw() * len(sizes))]
            chosen.append(group[int(draw() * len(group))])
    return chosen


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

    def timestamp(self, moment):
        """``moment`` as the driver takes it (survey.sqltext: on SQLite, the text SQLAlchemy's DateTime stores)."""
        return moment if self.postgres else sqltext.stored(self.connection.dialect, moment)


def simulate_responses(count, community=None, seed=None, days=30, retake_share=0.15, batch_size=20000):
    """Store ``count`` synthetic responses over ``days`` past days; return the number stored.

    About ``retake_share`` of them are retakes by earlier synthetic participants (practice attempts,
    with a better chance of knowing each fact).
    """
    version = current_version()
    if version is None:
        raise ValueError("no published questionnaire version")
    communities = [community.id] if community is not None else db.session.scalars(select(Community.id)).all()
    if not communities:
        raise ValueError("no communities")
    rng = random.Random(seed)
    skills = {community_id: rng.uniform(0.45, 0.9) for community_id in communities}
    menu_list, table = menus(version)
    packed = [answer.packed for answer in table]
    correct = [int(answer.correct) for answer in table]
    scored = [int(answer.stored[2] is not None) for answer in table]
    knowledge_total = sum(1 for menu in menu_list if menu.knowledge)
    # Submissions follow each other through the ``days`` up to now (a campaign's responses arrive over
    # time, and a retake after the first attempt), each at a random moment of its own slot.
    step, draw = timedelta(days=days) / count, rng.random
    start = utcnow() - timedelta(days=days)
    # [hash, community id, attempts so far, first score, latest score]: every attempt of these participants
    # is made here, so their learning gain is known without reading it back.
    participants = []
    stored = 0
    # A batch is a million small acyclic objects that reference counting frees; the cyclic collector
    # would only rescan them again and again (a third of the run time), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while stored < count:
            batch, size = [], min(batch_size, count - stored)
            before, retakers = {}, {}  # hash -> the participant before this batch's retakes, and after
            public_ids, hashes = _synthetic_keys(32, size), _synthetic_keys(64, size)
            for _ in range(size):
                if participants and draw() < retake_share:
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
                batch.append((next(public_ids), participant[0], participant[1], attempt,
                              start + step * (stored + len(batch) + draw()), numbers,
                              "[" + ",".join(map(packed.__getitem__, numbers)) + "]",
                              right, sum(map(scored.__getitem__, numbers))))
            stored += _store(_Writer(), version.id, knowledge_total, table, batch)
            rollup.add_gain_change(version.id, _gains(before), _gains(retakers))
            db.session.commit()
            if len(participants) > 200_000:
                participants = participants[-100_000:]
    finally:
        if collecting:
            gc.enable()
    return stored


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
    return iter([f"{first + index:013x}{digits[index * size:(index + 1) * size]}" for index in range(count)])


def _gains(participants):
    """{hash: (community of the counted attempt, latest − first score)} for those with two attempts or more,
    as ``rollup.gain_contributions`` reads it from the database."""
    return {participant: (community_id, latest - first)
            for participant, community_id, attempts, first, latest in participants.values()
            if attempts >= 2 and first is not None and latest is not None}


def _store(writer, version_id, knowledge_total, table, batch):
    """Insert one batch of responses (answers packed in each), and add them to the daily and item rollups."""
    # In participant order (stable: a participant's attempts keep their order, so the latest has the
    # highest id): the inserts then walk the participant indexes instead of jumping about them.
    writer.insert("response", RESPONSE_COLUMNS, sorted([
        (public_id, version_id, community_id, participant, attempt, attempt == 1, correct, knowledge_total,
         writer.timestamp(submitted_at), answers)
        for public_id, participant, community_id, attempt, submitted_at, _, answers, correct, _ in batch
    ], key=itemgetter(3)))
    days = defaultdict(lambda: dict.fromkeys(rollup.DAY_SUMS, 0))
    chosen = defaultdict(Counter)  # community id -> how often each answer (by number) was given
    local_day = day_finder()  # the district's day, as the web path counts it (rollup.counted_sums)
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
            item_id, _, is_correct, is_positive = table[number].stored
            sums = items[(version_id, community_id, item_id)]
            sums["answered"] += times
            if is_correct is not None:
                sums["scored"] += times
                sums["correct"] += times if is_correct else 0
            if is_positive is not None:
                sums["rated"] += times
                sums["positive"] += times if is_positive else 0
    rollup.add_sums(days, items)
    return len(batch)
