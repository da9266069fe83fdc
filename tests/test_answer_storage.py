"""Answers packed with their response: exactly what was answered is stored, read back, recounted and exported."""

import csv
import io
import json

from sqlalchemy import func, select

from survey.exports.raw import COLUMNS, raw_csv_chunks, raw_rows, write_raw_csv
from survey.exports.writers import BOM, csv_cell
from survey.extensions import db
from survey.models import Community, Response, StatsItem, pack_answers, unpack_answers
from survey.questionnaire import services
from survey.questionnaire.results import describe_result
from survey.questionnaire.scoring import answer_labels, coerce, key_for, score
from survey.stats import rollup
from survey.stats.counts import raw_counts, rollup_counts, tally_answers
from tests.conftest import SurveyDriver


def every_kind(version):
    """Raw answers of every kind, as a form would send them; the optional items are left out."""
    raw, kinds = {}, set()
    for item in version.items:
        if not item.is_required:
            continue
        options = [option.id for option in item.options]
        if item.question_type == "fillin":
            raw[item.id] = '  =1+1, "引号" 和\n换行  '  # kept as typed (trimmed), never as a formula
        elif item.question_type == "multiple":
            raw[item.id] = [str(options[-1]), str(options[0])]  # strings, unsorted
        elif item.question_type == "truefalse":
            raw[item.id] = str(options[1])
        else:
            raw[item.id] = options[-1]
        kinds.add(item.question_type)
    assert kinds == {"single", "multiple", "fillin", "truefalse"}
    return raw


def expected(version, raw):
    """``{item_id: (value, is_correct, is_positive)}`` as the scorer sees ``raw``."""
    result = {}
    for item in version.items:
        key = key_for(item)
        value = coerce(key, raw.get(item.id))
        if value is not None:
            verdict = score(key, value)
            result[item.id] = (value, verdict.is_correct, verdict.is_positive)
    return result


def test_a_submission_stores_exactly_what_was_answered(version, community):
    raw = every_kind(version)
    skipped = [item.id for item in version.items if not item.is_required]
    assert skipped, "the demo questionnaire has an optional item"
    stored = services.submit(version, community.id, services.participant_hash("p"), services.new_public_id(), raw)
    db.session.expire_all()
    response = db.session.get(Response, stored.id)
    answers = response.answers
    assert [answer.item_id for answer in answers] == sorted(raw)  # item id order, skipped items absent
    want = expected(version, raw)
    for answer in answers:
        value, is_correct, is_positive = want[answer.item_id]
        assert answer.canonical == value
        assert (answer.is_correct, answer.is_positive) == (is_correct, is_positive)
    by_type = {item.question_type: item for item in version.items if item.is_required}
    fillin = next(a for a in answers if a.item_id == by_type["fillin"].id)
    assert fillin.text == '=1+1, "引号" 和\n换行' and fillin.option_ids == () and fillin.option_id is None
    multiple = next(a for a in answers if a.item_id == by_type["multiple"].id)
    assert multiple.value == sorted(int(option_id) for option_id in raw[by_type["multiple"].id])
    single = next(a for a in answers if a.item_id == by_type["single"].id)
    assert single.option_ids == (single.option_id,) and single.text is None
    # The stored text is the documented compact form, and decodes to the same answers.
    assert json.loads(response.packed_answers) == [list(answer) for answer in answers]
    assert response.packed_answers == pack_answers(answers)
    assert unpack_answers(response.packed_answers) == answers
    assert response.knowledge_correct == sum(1 for answer in answers if answer.is_correct)


def test_the_result_page_reads_the_stored_answers_back(app, version, community):
    raw = every_kind(version)
    response = services.submit(version, community.id, services.participant_hash("q"), services.new_public_id(), raw)
    want = expected(version, raw)
    with app.test_request_context():
        details = describe_result(db.session.get(Response, response.id))
    reviewed = {entry.item.id: entry for entry in details["knowledge"] + details["opinions"]}
    assert set(reviewed) == {item.id for item in version.items}
    for item in version.items:
        value = want.get(item.id, (None,))[0]
        assert reviewed[item.id].your_answer == answer_labels(item, value)
        if item.is_knowledge:
            assert reviewed[item.id].is_correct == bool(want[item.id][1])
    assert any(entry.your_answer == ['=1+1, "引号" 和\n换行'] for entry in reviewed.values())


def test_a_skipped_optional_item_stores_no_answer(version, community):
    raw = every_kind(version)
    response = services.submit(version, community.id, services.participant_hash("r"), services.new_public_id(), raw)
    optional = {item.id for item in version.items if not item.is_required}
    assert not optional & {answer.item_id for answer in db.session.get(Response, response.id).answers}


def _check_recount_equals_rollups(version_id):
    fast, slow = rollup_counts(version_id), raw_counts(version_id)
    assert set(fast) == set(slow) and fast
    for community_id, counts in fast.items():
        other = slow[community_id]
        assert dict(counts.items) == dict(other.items)
        assert counts.participants == other.participants
        assert abs(counts.score_sum - other.score_sum) < 1e-9
        assert abs(counts.gain_sum - other.gain_sum) < 1e-9 and counts.gain_participants == other.gain_participants


def test_recount_equals_rollups_after_web_submissions(app, runner):
    with app.app_context():
        wrong = [item.id for item in services.current_version().items if item.is_knowledge][:3]
    first = SurveyDriver(app, app.test_client())
    first.complete("lianhu")
    SurveyDriver(app, app.test_client()).complete("binhe", wrong_item_ids=wrong)
    first.complete("lianhu", wrong_item_ids=wrong[:1])  # the same browser again: a practice retake
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 3
        _check_recount_equals_rollups(services.current_version().id)
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output


def test_recount_equals_rollups_after_simulate_and_after_a_rebuild(app, runner):
    result = runner.invoke(args=["simulate-responses", "--count", "1200", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        version_id = services.current_version().id
        _check_recount_equals_rollups(version_id)
        before = sorted(tuple(row) for row in db.session.execute(select(StatsItem.__table__)))
        rollup.rebuild()
        after = sorted(tuple(row) for row in db.session.execute(select(StatsItem.__table__)))
        assert before == after
    assert runner.invoke(args=["stats", "check"]).exit_code == 0


def test_simulated_responses_store_what_the_scorer_says(app, runner):
    assert runner.invoke(args=["simulate-responses", "--count", "300", "--seed", "2"]).exit_code == 0
    with app.app_context():
        keys = {item.id: key_for(item) for item in services.current_version().items}
        responses = db.session.scalars(select(Response)).all()
        assert len({r.public_id for r in responses}) == 300
        assert all(len(r.public_id) == 32 and len(r.participant_hash) == 64 for r in responses)
        for response in responses:
            for answer in response.answers:
                verdict = score(keys[answer.item_id], answer.canonical)
                assert (answer.is_correct, answer.is_positive) == (verdict.is_correct, verdict.is_positive)
            assert response.packed_answers == pack_answers(response.answers)  # what a web submission stores
        # A participant's attempts follow each other in time as well as in id.
        by_participant = {}
        for response in sorted(responses, key=lambda r: r.id):
            by_participant.setdefault(response.participant_hash, []).append(response)
        for attempts in by_participant.values():
            assert [r.attempt_number for r in attempts] == list(range(1, len(attempts) + 1))
            assert [r.submitted_at for r in attempts] == sorted(r.submitted_at for r in attempts)


def test_a_recount_decodes_in_batches_with_the_same_result(app, runner):
    assert runner.invoke(args=["simulate-responses", "--count", "250", "--seed", "3"]).exit_code == 0
    with app.app_context():
        query = select(Response.community_id, Response.packed_answers).where(Response.is_counted.is_(True))
        whole = tally_answers(db.session.connection(), query, batch_rows=100_000)
        pieces = tally_answers(db.session.connection(), query, batch_rows=7)
        assert {key: dict(value) for key, value in whole.items()} == {key: dict(value) for key, value in pieces.items()}
        stored = db.session.scalars(select(StatsItem)).all()
        assert sum(row.answered for row in stored) == sum(
            counts.answered for per_item in whole.values() for counts in per_item.values()
        )


def test_the_export_has_one_row_per_stored_answer(app, version, community):
    raw = every_kind(version)
    for participant in ("a", "b"):
        services.submit(version, community.id, services.participant_hash(participant), services.new_public_id(), raw)
    responses = db.session.scalars(select(Response).order_by(Response.id)).all()
    items = {item.id: item for item in version.items}
    expected_rows = [
        [
            str(response.id),
            str(answer.item_id),
            items[answer.item_id].question_type,
            " ".join(map(str, answer.option_ids)),
            csv_cell(answer.text),
            csv_cell(answer.is_correct),
            csv_cell(answer.is_positive),
        ]
        for response in responses
        for answer in response.answers
    ]
    rows = list(raw_rows())
    assert [[row[0], row[7], row[9], row[10], row[11], row[12], row[13]] for row in rows] == expected_rows
    fillin = next(row for row in rows if row[9] == "fillin")
    assert fillin[11] == "'" + '=1+1, "引号" 和\n换行'  # formula-protected, as every text cell
    buffer = io.StringIO()
    assert write_raw_csv(buffer) == len(rows)
    assert list(csv.reader(io.StringIO(buffer.getvalue()[1:])))[1:] == rows


def test_recount_equals_rollups_across_communities_and_retakes(version):
    communities = db.session.scalars(select(Community.id).order_by(Community.id)).all()[:3]
    raw = every_kind(version)
    for index in range(9):
        services.submit(
            version, communities[index % 3], services.participant_hash(f"s{index % 5}"), services.new_public_id(), raw
        )
    _check_recount_equals_rollups(version.id)


def test_the_fast_csv_is_exactly_the_csv_of_the_rows(app, version, community):
    raw = every_kind(version)
    fillin = next(item for item in version.items if item.question_type == "fillin" and item.is_required)
    texts = ['a"],[1,2,true,null],["b', 'back\\slash \\" quote', "tab\there", " , ", "不知道", "不知道"]
    for number, text in enumerate(texts):
        services.submit(
            version,
            community.id,
            services.participant_hash(f"t{number}"),
            services.new_public_id(),
            {**raw, fillin.id: text},
        )
    # A response whose answers are packed in another (still valid) JSON layout is decoded the slow way.
    odd = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
    odd.packed_answers = json.dumps([list(answer) for answer in odd.answers], ensure_ascii=True)
    db.session.commit()
    buffer = io.StringIO()
    count = write_raw_csv(buffer)
    reference = io.StringIO()
    writer = csv.writer(reference, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = list(raw_rows())
    writer.writerows(rows)
    assert count == len(rows) == len(texts) * len(raw)
    assert buffer.getvalue() == BOM + reference.getvalue()
    assert "".join(raw_csv_chunks(chunk_rows=7)) == BOM + reference.getvalue()
