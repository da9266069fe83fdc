"""The anonymised raw answers: one CSV row per answer, streamed from server-side cursors in chunks.

No participant hash, public id, token or anything else that could link answers to a person or a browser.
Three ordered streams — responses, answers, ticked options — are merged in one pass, so each response's
facts are read and formatted once (not once per answer) and memory stays flat however many rows there are.
"""
import csv
import io

from sqlalchemy import select

from ..extensions import db
from ..models import Answer, AnswerChoice, Community, Item, QuestionnaireVersion, Response
from .writers import BOM, csv_cell

CHUNK_ROWS = 5000
COLUMNS = ("response_id", "version", "community", "submitted_at", "attempt_number", "is_counted",
           "item_position", "item_id", "kind", "question_type", "option_ids", "text", "is_correct", "is_positive")


def _in_version(query, version_id, joined=False):
    if version_id is None:
        return query
    if not joined:
        query = query.join(Response, Response.id == query.selected_columns[0])
    return query.where(Response.version_id == version_id)


def _snapshot_connection():
    """A connection of its own whose statements all read one snapshot (PostgreSQL: REPEATABLE READ), so the
    three streams agree even while residents keep submitting. SQLite reads one snapshot per connection anyway."""
    options = {"isolation_level": "REPEATABLE READ"} if db.engine.dialect.name == "postgresql" else {}
    return db.engine.connect().execution_options(**options)


def _stream(connection, query, chunk_rows):
    """Rows fetched ``chunk_rows`` at a time from a server-side cursor (Core: the ORM result layer would cost
    several times more per row, and nothing here needs it)."""
    return connection.execute(query.execution_options(yield_per=chunk_rows))


def _answers(connection, version_id, chunk_rows):
    query = select(Answer.response_id, Answer.item_id, Answer.option_id, Answer.text, Answer.is_correct,
                   Answer.is_positive).order_by(Answer.response_id, Answer.item_id)
    return _stream(connection, _in_version(query, version_id), chunk_rows)


def _choices(connection, version_id, chunk_rows):
    query = select(AnswerChoice.response_id, AnswerChoice.item_id, AnswerChoice.option_id).order_by(
        AnswerChoice.response_id, AnswerChoice.item_id, AnswerChoice.option_id)
    return _stream(connection, _in_version(query, version_id), chunk_rows)


def _responses(connection, version_id, chunk_rows):
    query = (
        select(Response.id, QuestionnaireVersion.number, Community.code, Response.submitted_at,
               Response.attempt_number, Response.is_counted)
        .join(Community, Response.community_id == Community.id)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .order_by(Response.id)
    )
    return _stream(connection, _in_version(query, version_id, joined=True), chunk_rows)


def _response_cells(rows):
    """(id, the response's formatted cells) per response row, in id order."""
    for response_id, number, code, submitted_at, attempt, counted in rows:
        when = submitted_at.isoformat(timespec="seconds") if submitted_at else None
        yield response_id, [csv_cell(value) for value in (response_id, number, code, when, attempt, counted)]


def raw_rows(version_id=None, chunk_rows=CHUNK_ROWS):
    """Yield one list of CSV cells per answer (COLUMNS order), ordered by response then item."""
    with _snapshot_connection() as connection:
        items = {item_id: [csv_cell(position), csv_cell(item_id), kind, question_type]
                 for item_id, position, kind, question_type in connection.execute(
                     select(Item.id, Item.position, Item.kind, Item.question_type))}
        streams = [_answers(connection, version_id, chunk_rows), _choices(connection, version_id, chunk_rows),
                   _responses(connection, version_id, chunk_rows)]
        try:
            yield from _merge(items, *streams)
        finally:
            for stream in streams:  # server-side cursors left open would linger until the connection closes
                stream.close()


def _merge(items, answers, choices, responses):
    """Walk the three streams (all ordered by response id) together, one row out per answer."""
    responses, choices = _response_cells(responses), iter(choices)
    response_id, response_cells = -1, None
    choice = next(choices, None)
    for answer_id, item_id, option_id, text, correct, positive in answers:
        while response_id < answer_id:
            response_id, response_cells = next(responses, (answer_id + 1, None))
        if response_id != answer_id:  # cannot happen in one snapshot (a foreign key); never misattribute
            continue
        ticked = []
        while choice is not None and (choice[0], choice[1]) < (answer_id, item_id):
            choice = next(choices, None)
        while choice is not None and choice[0] == answer_id and choice[1] == item_id:
            ticked.append(str(choice[2]))
            choice = next(choices, None)
        options = str(option_id) if option_id is not None else " ".join(ticked)
        yield [*response_cells, *items[item_id], options, csv_cell(text), csv_cell(correct), csv_cell(positive)]


def raw_csv_chunks(version_id=None, chunk_rows=CHUNK_ROWS):
    """Yield the raw-answers CSV as text chunks (BOM and header first), each about ``chunk_rows`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    pending = 0
    for row in raw_rows(version_id, chunk_rows):
        writer.writerow(row)
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            pending = 0
    yield buffer.getvalue()


def write_raw_csv(stream, version_id=None):
    """Write the raw-answers CSV to an open text stream; return the number of answer rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    stream.write(BOM)
    writer.writerow(COLUMNS)
    count = 0
    for row in raw_rows(version_id):
        writer.writerow(row)
        count += 1
    return count
