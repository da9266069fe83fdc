"""Synthetic residents at campaign scale, for demos, load tests and benchmarks (``flask simulate-responses``).

Every answer a synthetic resident can give is scored once, up front, by the real scorer
(``coerce`` and ``score``), and each response is then assembled from those scored answers: the stored
rows are exactly what a web submission of the same answers stores. Rows go to the database in batches
through the driver itself (``executemany`` on SQLite, ``COPY`` on PostgreSQL), and the rollups are
updated in the same transaction as each batch, so the dashboards always equal a recount.
"""
import gc
import random
from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations

from sqlalchemy import select

from .extensions import db
from .models import Community, Response
from .models.base import utcnow
from .questionnaire.scoring import coerce, score
from .questionnaire.services import (
    answer_rows,
    current_version,
    new_participant_token,
    new_public_id,
    participant_hash,
    version_keys,
)
from .stats import rollup

RESPONSE_COLUMNS = ("public_id", "version_id", "community_id", "participant_hash", "attempt_number", "is_counted",
                    "knowledge_correct", "knowledge_total", "submitted_at")
ANSWER_COLUMNS = ("response_id", "item_id", "option_id", "text", "is_correct", "is_positive")
CHOICE_COLUMNS = ("response_id", "item_id", "option_id")
WRONG_TEXTS = ("不知道", "?", "dunno")


@dataclass(frozen=True)
class Answer:
    """One scored answer to one item: the rollup's view (``fields``, ``ticked``) and the row to insert."""

    fields: dict
    ticked: tuple
    row: tuple  # ANSWER_COLUMNS without response_id
    correct: bool


@dataclass(frozen=True)
class Menu:
    """What a synthetic resident may answer to one item."""

    required: bool
    knowledge: bool
    right: tuple  # the correct answer(s) of a knowledge item, or an opinion item's positive answers
    sizes: tuple  # any answer, grouped by number of options ticked (one group unless multiple choice)


def _scored(key, raw):
    value = coerce(key, raw)
    (fields, ticked), = answer_rows([(key, value, score(key, value))])
    row = (fields["item_id"], fields["option_id"], fields["text"], fields["is_correct"], fields["is_positive"])
    return Answer(fields, tuple(ticked), row, bool(fields["is_correct"]))


def menus(version, keys=None):
    """One Menu per item of ``version``, in questionnaire order, every answer scored by the real scorer."""
    keys = keys if keys is not None else version_keys(version)
    result = []
    for item, key in zip(version.items, keys, strict=True):
        options = sorted(key.option_ids)
        if key.question_type == "fillin":
            accepted = [answer.text for answer in item.accepted_answers]
            right = tuple(_scored(key, text) for text in accepted[:1])
            sizes = ((*right, *(_scored(key, text) for text in WRONG_TEXTS)),) if right else \
                (tuple(_scored(key, text) for text in WRONG_TEXTS),)
        elif key.question_type == "multiple":
            right = (_scored(key, sorted(key.correct)),)
            sizes = tuple(tuple(_scored(key, list(subset)) for subset in combinations(options, size))
                          for size in range(1, len(options) + 1))
        else:
            every = tuple(_scored(key, option_id) for option_id in options)
            wanted = key.correct if key.is_knowledge else key.positive
            right = tuple(answer for answer in every if answer.fields["option_id"] in wanted)
            sizes = (every,)
        result.append(Menu(key.is_required, key.is_knowledge, right, sizes))
    return result


def answer_as(menu_list, rng, skill):
    """The answers of one synthetic resident who knows each fact (or leans positive) with chance ``skill``."""
    answers = []
    for menu in menu_list:
        if not menu.required and rng.random() < 0.3:
            continue
        if menu.right and rng.random() < (skill if menu.knowledge else 0.5 + skill / 2):
            answers.append(menu.right[rng.randrange(len(menu.right))])
        else:
            group = menu.sizes[rng.randrange(len(menu.sizes))]
            answers.append(group[rng.randrange(len(group))])
    return answers


class _Writer:
    """Batched inserts through the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self):
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"

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
        # The text form SQLAlchemy's SQLite DateTime type stores and compares.
        return moment if self.postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def simulate_responses(count, community=None, seed=None, days=30, retake_share=0.15, batch_size=5000):
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
    menu_list = menus(version)
    knowledge_total = sum(1 for menu in menu_list if menu.knowledge)
    now = utcnow()
    participants = []  # [hash, community id, attempts so far]
    stored = 0
    # A batch is a million small acyclic objects that reference counting frees; the cyclic collector
    # would only rescan them again and again (a third of the run time), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while stored < count:
            batch = []
            for _ in range(min(batch_size, count - stored)):
                if participants and rng.random() < retake_share:
                    participant = participants[rng.randrange(len(participants))]
                    participant[2] += 1
                    attempt = participant[2]
                    skill = min(0.98, skills[participant[1]] + 0.1 * (attempt - 1))
                else:
                    participant = [participant_hash(new_participant_token()), rng.choice(communities), 1]
                    participants.append(participant)
                    attempt, skill = 1, skills[participant[1]]
                answers = answer_as(menu_list, rng, skill)
                submitted_at = now - timedelta(seconds=rng.randrange(days * 86400))
                batch.append((new_public_id(), participant[0], participant[1], attempt, submitted_at, answers,
                              sum(answer.correct for answer in answers)))
            stored += _store(_Writer(), version.id, knowledge_total, batch)
            db.session.commit()
            if len(participants) > 200_000:
                participants = participants[-100_000:]
    finally:
        if collecting:
            gc.enable()
    return stored


def _store(writer, version_id, knowledge_total, batch):
    """Insert one batch of responses with their answers, and add them to the rollups."""
    retaking = list({participant for _, participant, _, attempt, *_ in batch if attempt > 1})
    gains_before = rollup.gain_contributions(version_id, retaking)
    writer.insert("response", RESPONSE_COLUMNS, [
        (public_id, version_id, community_id, participant, attempt, attempt == 1, correct, knowledge_total,
         writer.timestamp(submitted_at))
        for public_id, participant, community_id, attempt, submitted_at, _, correct in batch
    ])
    id_of = {}
    public_ids = [entry[0] for entry in batch]
    for start in range(0, len(public_ids), 1000):
        id_of.update(db.session.execute(select(Response.public_id, Response.id)
                                        .where(Response.public_id.in_(public_ids[start:start + 1000]))).all())
    answer_table, choice_table, counted = [], [], []
    for public_id, _, community_id, attempt, submitted_at, answers, correct in batch:
        response_id = id_of[public_id]
        for answer in answers:
            answer_table.append((response_id, *answer.row))
            choice_table.extend((response_id, answer.row[0], option_id) for option_id in answer.ticked)
        if attempt == 1:
            counted.append(({"version_id": version_id, "community_id": community_id, "submitted_at": submitted_at,
                             "is_counted": True, "knowledge_correct": correct, "knowledge_total": knowledge_total},
                            [(answer.fields, answer.ticked) for answer in answers]))
    writer.insert("answer", ANSWER_COLUMNS, answer_table)
    writer.insert("answer_choice", CHOICE_COLUMNS, choice_table)
    rollup.add_counted(counted)
    rollup.add_gain_change(version_id, gains_before, rollup.gain_contributions(version_id, retaking))
    return len(batch)
