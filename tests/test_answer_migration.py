"""Migration 0006 packs every answer row into its response and unpacks them again, losing nothing.

The database is built at revision 0005 with answers of every kind written the old way (a row per
answer, a row per ticked option); the raw export as the code before 0006 produced it (its merge of the
three ordered streams, kept here) and the per-item counts as the old SQL recount gave them are taken
there, then compared with what the code reads after the upgrade. The downgrade must give the rows back.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey.exports.raw import raw_rows
from survey.exports.writers import csv_cell
from survey.extensions import db
from survey.models import Response
from survey.questionnaire.scoring import coerce, key_for, score
from survey.questionnaire.services import current_version
from survey.stats import rollup
from survey.stats.counts import raw_counts
from tests.conftest import drop_every_table

OLD_RESPONSE = sa.table(
    "response",
    sa.column("id", sa.Integer),
    sa.column("public_id", sa.String),
    sa.column("version_id", sa.Integer),
    sa.column("community_id", sa.Integer),
    sa.column("participant_hash", sa.String),
    sa.column("attempt_number", sa.Integer),
    sa.column("is_counted", sa.Boolean),
    sa.column("knowledge_correct", sa.Integer),
    sa.column("knowledge_total", sa.Integer),
    sa.column("submitted_at", sa.DateTime),
    sa.column("is_assisted", sa.Boolean),
)
ANSWER = sa.table(
    "answer",
    sa.column("response_id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("option_id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("is_correct", sa.Boolean),
    sa.column("is_positive", sa.Boolean),
)
CHOICE = sa.table(
    "answer_choice",
    sa.column("response_id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("option_id", sa.Integer),
)
TEXTS = ("富强、民主、文明、和谐", '  "quoted", with commas  ', "=SUM(A1)", "line\nbreak", "不知道")


def _at_revision_0005():
    drop_every_table()  # alembic_version too
    upgrade(revision="0005")


def _old_answers(version, communities, rng):
    """Write responses the pre-0006 way; return their (response row, [(answer row, ticked ids)])."""
    keys = [key_for(item) for item in version.items]
    written, participants = [], []
    start = datetime(2026, 11, 1, 8, 0, 0)
    for number in range(40):
        if participants and rng.random() < 0.3:
            participant = rng.choice(participants)
            participant[2] += 1
        else:
            participant = [f"{number:064x}", rng.choice(communities), 1]
            participants.append(participant)
        answers = []
        for key, item in zip(keys, version.items, strict=True):
            if not key.is_required and rng.random() < 0.4:
                continue
            options = sorted(key.option_ids)
            if key.question_type == "fillin":
                raw = rng.choice(TEXTS + tuple(answer.text for answer in item.accepted_answers))
            elif key.question_type == "multiple":
                raw = rng.sample(options, rng.randint(1, len(options)))
            else:
                raw = rng.choice(options)
            value = coerce(key, raw)
            if value is None:
                continue
            verdict = score(key, value)
            answers.append((key, value, verdict))
        correct = sum(1 for key, _, verdict in answers if key.is_knowledge and verdict.is_correct)
        response = {
            "id": number + 1,
            "public_id": f"{number:032x}",
            "version_id": version.id,
            "community_id": participant[1],
            "participant_hash": participant[0],
            "attempt_number": participant[2],
            "is_counted": participant[2] == 1,
            "knowledge_correct": correct,
            "knowledge_total": sum(1 for key in keys if key.is_knowledge),
            "submitted_at": start + timedelta(minutes=7 * number),
            "is_assisted": number % 9 == 0,
        }
        rows = []
        for key, value, verdict in answers:
            row = {
                "response_id": number + 1,
                "item_id": key.id,
                "option_id": None,
                "text": None,
                "is_correct": verdict.is_correct,
                "is_positive": verdict.is_positive,
            }
            ticked = []
            if key.question_type == "fillin":
                row["text"] = value
            elif key.question_type == "multiple":
                ticked = sorted(value)
            else:
                row["option_id"] = value
            rows.append((row, ticked))
        written.append((response, rows))
    return written


def _store_old(written):
    db.session.execute(sa.insert(OLD_RESPONSE), [response for response, _ in written])
    db.session.execute(sa.insert(ANSWER), [row for _, rows in written for row, _ in rows])
    db.session.execute(
        sa.insert(CHOICE),
        [
            {"response_id": row["response_id"], "item_id": row["item_id"], "option_id": option_id}
            for _, rows in written
            for row, ticked in rows
            for option_id in ticked
        ],
    )
    db.session.commit()


def _old_export():
    """The raw export's rows exactly as the code before 0006 built them from the answer tables (with times
    written as the export writes them now: the district's local time with its offset)."""
    from survey import localtime
    from survey.models import Community, Item, QuestionnaireVersion

    local = localtime.day_finder().local_time

    items = {
        item_id: [csv_cell(position), csv_cell(item_id), kind, question_type]
        for item_id, position, kind, question_type in db.session.execute(
            sa.select(Item.id, Item.position, Item.kind, Item.question_type)
        )
    }
    responses = {}
    for response_id, number, code, submitted_at, attempt, counted in db.session.execute(
        sa.select(
            OLD_RESPONSE.c.id,
            QuestionnaireVersion.number,
            Community.code,
            OLD_RESPONSE.c.submitted_at,
            OLD_RESPONSE.c.attempt_number,
            OLD_RESPONSE.c.is_counted,
        )
        .join(Community, OLD_RESPONSE.c.community_id == Community.id)
        .join(QuestionnaireVersion, OLD_RESPONSE.c.version_id == QuestionnaireVersion.id)
    ):
        when = local(submitted_at).isoformat(timespec="seconds") if submitted_at else None
        responses[response_id] = [csv_cell(value) for value in (response_id, number, code, when, attempt, counted)]
    ticked = defaultdict(list)
    for response_id, item_id, option_id in db.session.execute(
        sa.select(CHOICE.c.response_id, CHOICE.c.item_id, CHOICE.c.option_id).order_by(
            CHOICE.c.response_id, CHOICE.c.item_id, CHOICE.c.option_id
        )
    ):
        ticked[(response_id, item_id)].append(str(option_id))
    rows = []
    for response_id, item_id, option_id, text, correct, positive in db.session.execute(
        sa.select(
            ANSWER.c.response_id,
            ANSWER.c.item_id,
            ANSWER.c.option_id,
            ANSWER.c.text,
            ANSWER.c.is_correct,
            ANSWER.c.is_positive,
        ).order_by(ANSWER.c.response_id, ANSWER.c.item_id)
    ):
        options = str(option_id) if option_id is not None else " ".join(ticked[(response_id, item_id)])
        rows.append(
            [*responses[response_id], *items[item_id], options, csv_cell(text), csv_cell(correct), csv_cell(positive)]
        )
    return rows


def _old_item_counts(version_id):
    """Per community and item: (answered, correct, scored, positive, rated), as the old SQL recount gave them."""
    return {
        (community_id, item_id): (answered, int(correct or 0), scored, int(positive or 0), rated)
        for community_id, item_id, answered, scored, correct, rated, positive in db.session.execute(
            sa.select(
                OLD_RESPONSE.c.community_id,
                ANSWER.c.item_id,
                sa.func.count(),
                sa.func.count(ANSWER.c.is_correct),
                sa.func.sum(sa.case((ANSWER.c.is_correct.is_(True), 1), else_=0)),
                sa.func.count(ANSWER.c.is_positive),
                sa.func.sum(sa.case((ANSWER.c.is_positive.is_(True), 1), else_=0)),
            )
            .join(OLD_RESPONSE, ANSWER.c.response_id == OLD_RESPONSE.c.id)
            .where(OLD_RESPONSE.c.version_id == version_id, OLD_RESPONSE.c.is_counted.is_(True))
            .group_by(OLD_RESPONSE.c.community_id, ANSWER.c.item_id)
        )
    }


def _rows(table, *columns):
    return sorted(tuple(row) for row in db.session.execute(sa.select(*(table.c[name] for name in columns))))


@pytest.fixture
def at_0005(app):
    with app.app_context():
        _at_revision_0005()
        try:
            yield
        finally:
            db.session.rollback()
            upgrade()  # back to the head: later tests drop and create the current tables
            with db.engine.begin() as connection:
                for table in ("answer_choice", "answer"):
                    connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))


@pytest.mark.usefixtures("at_0005")
def test_upgrade_packs_every_answer_and_downgrade_gives_the_rows_back():
    from survey.demo import load_demo
    from survey.models import Community

    load_demo()
    version = current_version()
    communities = db.session.scalars(sa.select(Community.id).order_by(Community.id)).all()[:4]
    written = _old_answers(version, communities, random.Random(11))
    _store_old(written)
    answers_before = _rows(ANSWER, "response_id", "item_id", "option_id", "text", "is_correct", "is_positive")
    choices_before = _rows(CHOICE, "response_id", "item_id", "option_id")
    assert any(ticked for _, rows in written for _, ticked in rows) and len(answers_before) > 400
    export_before = _old_export()
    counts_before = _old_item_counts(version.id)
    db.session.commit()

    upgrade(revision="0006")
    db.session.expire_all()
    responses = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
    assert len(responses) == len(written)
    for response, (old, rows) in zip(responses, written, strict=True):
        assert response.id == old["id"]
        stored = [
            (a.item_id, a.option_id, a.text, a.is_correct, a.is_positive, list(a.option_ids)) for a in response.answers
        ]
        assert stored == sorted(
            (
                row["item_id"],
                row["option_id"],
                row["text"],
                row["is_correct"],
                row["is_positive"],
                ticked or ([row["option_id"]] if row["option_id"] else []),
            )
            for row, ticked in rows
        )
    assert list(raw_rows()) == export_before  # the export, cell for cell
    rollup.rebuild()
    recounted = {
        (community_id, item_id): (c.answered, c.correct, c.scored, c.positive, c.rated)
        for community_id, counts in raw_counts(version.id).items()
        for item_id, c in counts.items.items()
    }
    assert recounted == counts_before
    db.session.commit()  # end this session's read transaction: PostgreSQL's ALTER TABLE would wait for it

    downgrade(revision="0005")
    db.session.expire_all()
    assert _rows(ANSWER, "response_id", "item_id", "option_id", "text", "is_correct", "is_positive") == answers_before
    assert _rows(CHOICE, "response_id", "item_id", "option_id") == choices_before
    assert "answers" not in {column["name"] for column in sa.inspect(db.engine).get_columns("response")}
