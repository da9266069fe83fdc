"""Exports: the dashboards' figures as CSV/XLSX, the streamed raw answers, the CLI, and who may have what."""

import csv
import functools
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from survey.exports.raw import COLUMNS
from survey.exports.tables import community_tables, district_tables
from survey.exports.writers import csv_cell, write_csv, write_xlsx
from survey.extensions import db
from survey.models import AuditEntry, Response
from survey.questionnaire.services import current_version
from survey.stats.services import scope_stats
from tests.conftest import SurveyDriver, right_answers

EN = {"Accept-Language": "en"}


@pytest.fixture
def answered(app):
    """Six residents of Lianhu (one answering an item wrong) and one of Binhe have answered."""
    with app.app_context():
        first_knowledge = next(item.id for item in current_version().items if item.is_knowledge)
    for number in range(6):
        SurveyDriver(app, app.test_client()).complete("lianhu", wrong_item_ids=[first_knowledge] if number == 0 else ())
    SurveyDriver(app, app.test_client()).complete("binhe")
    return app


def read_csv_tables(body):
    """The tables of an export CSV (blank line between tables); asserts the BOM."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    tables, current = [], []
    for row in csv.reader(io.StringIO(text[1:])):
        if not row:
            tables.append(current)
            current = []
        else:
            current.append(row)
    tables.append(current)
    return tables


def number(cell):
    return None if cell == "" else float(cell)


def test_api_csv_and_service_give_the_same_numbers(answered, client, auth):
    auth.as_role("community")
    response = client.get("/admin/exports/community/lianhu.csv", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=civic-survey-lianhu-v1.csv"
    summary, questions = read_csv_tables(response.data)
    api = client.get("/api/v1/communities/lianhu/stats").get_json()["community"]
    with answered.app_context():
        stats = scope_stats(current_version().id, None).communities[0][1]
    assert summary[0] == ["Measure", "Value", "Lower bound (95% CI)", "Upper bound (95% CI)", "n"]
    rows = {row[0]: row[1:] for row in summary[1:]}
    assert int(rows["Participants"][0]) == stats.participants == api["participants"] == 6
    labels = {
        "knowledge_awareness": "Knowledge awareness",
        "support": "Support",
        "satisfaction": "Satisfaction",
        "average_score": "Average score",
        "campaign_awareness": "Campaign awareness",
    }
    for name, label in labels.items():
        rate = dict(stats.rate_fields())[name]
        value, low, high, n = rows[label]
        for exported, from_api, from_service in [
            (value, api["rates"][name]["value"], rate.value),
            (low, api["rates"][name]["low"], rate.low),
            (high, api["rates"][name]["high"], rate.high),
        ]:
            assert from_api == from_service
            assert number(exported) == pytest.approx(from_service, abs=1e-6)
        assert int(n) == api["rates"][name]["n"] == rate.n
    assert 0 < stats.knowledge_awareness.value < 1  # one wrong answer: a real fraction is compared
    assert questions[0][:4] == ["No.", "Item id", "Question", "Correct rate"]
    assert len(questions) - 1 == len(stats.questions) == len(api["questions"])
    for row, question, (item, rate) in zip(questions[1:], api["questions"], stats.questions, strict=True):
        assert int(row[1]) == question["item_id"] == item.id
        assert number(row[3]) == pytest.approx(rate.value, abs=1e-6)
        assert question["rate"]["value"] == rate.value
        assert int(row[6]) == rate.n


def test_xlsx_holds_the_same_figures_with_localised_headers(answered, client, auth):
    auth.as_role("admin")
    response = client.get("/admin/exports/community/lianhu.xlsx?lang=zh", headers={"Accept-Language": "zh"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    assert response.data[:2] == b"PK"
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    with answered.app_context():
        stats = scope_stats(current_version().id, None).communities[0][1]
    assert summary[1][1] == 6
    awareness = next(row for row in summary if row[1] == stats.knowledge_awareness.value)
    assert awareness[4] == stats.knowledge_awareness.n
    english = client.get("/admin/exports/community/lianhu.xlsx", headers=EN)
    english_summary = list(
        load_workbook(io.BytesIO(english.data), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert english_summary[0][0] == "Measure"
    assert summary[0][0] != "Measure" or summary[0] == english_summary[0]  # translated once the catalog has it


def test_rollup_exports_have_the_ranking_rows_and_totals(answered, client, auth):
    auth.as_role("district")
    ranking, questions = read_csv_tables(client.get("/admin/exports/district.csv", headers=EN).data)
    header = ranking[0]
    assert header[:5] == ["Level", "Code", "Name", "Street", "Participants"]
    codes = [row[1] for row in ranking[1:]]
    with answered.app_context():
        result = scope_stats(current_version().id, None)
    assert set(codes) >= {c.code for c, _ in result.communities} | {st.code for st, _ in result.streets}
    district = ranking[-1]
    assert district[0] == "District" and int(district[4]) == result.district.participants == 7
    column = header.index("Knowledge awareness")
    lianhu = next(row for row in ranking if row[1] == "lianhu")
    expected = next(s for c, s in result.communities if c.code == "lianhu")
    assert number(lianhu[column]) == pytest.approx(expected.knowledge_awareness.value, abs=1e-6)
    assert int(lianhu[header.index("Knowledge awareness: n")]) == expected.knowledge_awareness.n
    assert len(questions) - 1 == len(result.district.questions)
    street = read_csv_tables(client.get("/admin/exports/street/s-hehua.csv", headers=EN).data)[0]
    assert {row[1] for row in street[1:]} == {"lianhu", "taoyuan", "hehua-xincun", "s-hehua"}
    ranked = client.get("/admin/exports/street/s-hehua.csv?sort=participants&order=desc", headers=EN)
    assert read_csv_tables(ranked.data)[0][1][1] == "lianhu"
    workbook = load_workbook(io.BytesIO(client.get("/admin/exports/street/s-hehua.xlsx").data), read_only=True)
    assert len(workbook.worksheets) == 2


def test_filters_apply_and_bad_values_are_refused(answered, client, auth):
    auth.as_role("admin")
    future = read_csv_tables(client.get("/admin/exports/community/lianhu.csv?since=2999-01-01", headers=EN).data)
    assert future[0][1][:2] == ["Participants", "0"]
    dated = client.get("/admin/exports/district.csv?version=1&since=2020-01-01&until=2999-12-31")
    assert "civic-survey-district-v1-2020-01-01-2999-12-31.csv" in dated.headers["Content-Disposition"]
    for query in ["since=yesterday", "until=2026-02-30", "since=2021-01-01&until=2020-01-01", "version=x"]:
        assert client.get(f"/admin/exports/district.csv?{query}").status_code == 400, query
    assert client.get("/admin/exports/district.csv?version=99").status_code == 404
    assert client.get("/admin/exports/district.pdf").status_code == 404
    assert client.get("/admin/exports/community/atlantis.csv").status_code == 404
    assert client.get("/admin/exports/street/s-none.xlsx").status_code == 404


EXPORT_PATHS = [
    "/admin/exports/community/lianhu.csv",
    "/admin/exports/community/lianhu.xlsx",
    "/admin/exports/community/taoyuan.csv",
    "/admin/exports/community/binhe.xlsx",
    "/admin/exports/street/s-hehua.csv",
    "/admin/exports/street/s-jiangbin.xlsx",
    "/admin/exports/district.csv",
    "/admin/exports/district.xlsx",
    "/admin/exports/answers.csv",
]
ALLOWED = {
    "admin": set(EXPORT_PATHS),
    "district": set(EXPORT_PATHS) - {"/admin/exports/answers.csv"},
    "street": {
        "/admin/exports/community/lianhu.csv",
        "/admin/exports/community/lianhu.xlsx",
        "/admin/exports/community/taoyuan.csv",
        "/admin/exports/street/s-hehua.csv",
    },
    "community": {"/admin/exports/community/lianhu.csv", "/admin/exports/community/lianhu.xlsx"},
    "editor": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_exports_only_what_its_dashboards_show(client, auth, role):
    auth.as_role(role)
    for path in EXPORT_PATHS:
        response = client.get(path)
        assert response.status_code == (200 if path in ALLOWED[role] else 403), (role, path)


def test_anonymous_visitors_are_sent_to_login(client):
    for path in EXPORT_PATHS:
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path


def test_raw_answers_are_streamed_one_row_per_answer_without_participant_data(answered, client, auth):
    auth.as_role("admin")
    response = client.get("/admin/exports/answers.csv?version=1")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment; filename=civic-survey-answers-v1-")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    with answered.app_context():
        answers = sum(len(response.answers) for response in db.session.scalars(select(Response)))
        responses = db.session.scalars(select(Response)).all()
        secrets = {r.participant_hash for r in responses} | {r.public_id for r in responses}
        multiple = next(item for item in current_version().items if item.question_type == "multiple")
        correct_ids = sorted(o.id for o in multiple.options if o.is_correct)
    assert len(rows) == answers > 0
    assert tuple(rows[0]) == COLUMNS
    assert not any(secret in text for secret in secrets)
    assert not {"participant_hash", "public_id", "token"} & set(rows[0])
    assert {row["community"] for row in rows} == {"lianhu", "binhe"}
    assert {row["response_id"] for row in rows} == {str(r.id) for r in responses}
    chosen = next(row for row in rows if row["item_id"] == str(multiple.id))
    assert chosen["option_ids"] == " ".join(map(str, correct_ids)) and chosen["is_correct"] == "1"
    assert all(row["is_counted"] == "1" and row["attempt_number"] == "1" for row in rows)
    assert rows[0]["submitted_at"][:4].isdigit() and "T" in rows[0]["submitted_at"]
    with answered.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.answers")) is not None


@pytest.mark.parametrize(
    ("zone", "stored", "shown"),
    [
        ("Asia/Shanghai", datetime(2026, 11, 26, 23, 30, 5), "2026-11-27T07:30:05+08:00"),  # the next local day
        ("Europe/Berlin", datetime(2026, 7, 1, 10, 0, 0), "2026-07-01T12:00:00+02:00"),  # summer time
        ("Europe/Berlin", datetime(2026, 12, 1, 10, 0, 0), "2026-12-01T11:00:00+01:00"),
    ],
)
def test_raw_answers_give_the_districts_time_with_its_offset(answered, client, auth, zone, stored, shown):
    """Times are stored in UTC; staff reading the export see when the resident answered where they live."""
    answered.config["BABEL_DEFAULT_TIMEZONE"] = zone
    with answered.app_context():
        db.session.execute(update(Response).values(submitted_at=stored))
        db.session.commit()
    auth.as_role("admin")
    text = client.get("/admin/exports/answers.csv").get_data(as_text=True)
    assert {row["submitted_at"] for row in csv.DictReader(io.StringIO(text[1:]))} == {shown}


def test_a_raw_export_abandoned_half_way_releases_its_cursors(answered, client, auth, monkeypatch):
    from survey.exports import raw, views

    monkeypatch.setattr(views, "raw_csv_chunks", functools.partial(raw.raw_csv_chunks, chunk_rows=10))
    auth.as_role("admin")
    response = client.get("/admin/exports/answers.csv", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith("\ufeffresponse_id".encode())
    next(chunks)
    response.close()  # as a server does when the client goes away; open server-side cursors would warn (error)
    assert client.get("/admin/exports/district.csv").status_code == 200


def test_raw_answers_of_all_versions_and_unknown_version(answered, client, auth):
    auth.as_role("admin")
    with client.get("/admin/exports/answers.csv") as everything:  # a streamed response must be closed
        assert everything.status_code == 200 and "answers-all-" in everything.headers["Content-Disposition"]
        assert everything.get_data(as_text=True).count("\n") > 1
    assert client.get("/admin/exports/answers.csv?version=99").status_code == 404
    assert client.get("/admin/exports/answers.csv?version=abc").status_code == 400


def test_cli_export_writes_the_same_csv(answered, runner, tmp_path, client, auth):
    output = tmp_path / "answers.csv"
    result = runner.invoke(args=["export", "--output", str(output), "--version", "1"])
    assert result.exit_code == 0, result.output
    auth.as_role("admin")
    streamed = client.get("/admin/exports/answers.csv?version=1").get_data()
    assert output.read_bytes() == streamed
    assert "Wrote" in result.output
    again = runner.invoke(args=["export", "--output", str(output)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(args=["export", "--output", str(output), "--force"])
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export"], "Missing option"),
        (["export", "--output", "{tmp}/a.csv", "--version", "abc"], "not a valid integer"),
        (["export", "--output", "{tmp}/a.csv", "--version", "0"], "--version"),
        (["export", "--output", "{tmp}/a.csv", "--version", "99"], "no questionnaire version 99"),
        (["export", "--output", "{tmp}/missing/a.csv"], "does not exist"),
        (["export", "--output", "{tmp}"], "directory"),
    ],
)
def test_cli_export_refuses_bad_arguments(runner, tmp_path, args, message):
    result = runner.invoke(args=[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "a.csv").exists()


def test_writers_protect_against_formulas_and_keep_numbers(app):
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_cell("+1") == "'+1"
    assert csv_cell(-0.25) == "-0.25" and csv_cell(None) == "" and csv_cell(True) == "1"
    assert csv_cell(240.0) == "240" and csv_cell(1 / 3) == "0.333333"
    with app.app_context(), app.test_request_context(headers=EN):
        result = scope_stats(current_version().id, None)
        tables = district_tables(result.communities, result.streets, result.district)
        text = write_csv(tables)
        assert text.startswith("\ufeffLevel,Code,Name")
        workbook = load_workbook(io.BytesIO(write_xlsx(community_tables(result.district))), read_only=True)
        assert [sheet.title for sheet in workbook.worksheets] == ["Summary", "Questions"]


def test_dashboards_link_their_exports_with_the_same_filters(client, auth):
    auth.as_role("admin")
    page = client.get("/admin/dashboard/community/lianhu?since=2020-01-01", headers=EN).text
    assert "/admin/exports/community/lianhu.csv?version=1&amp;since=2020-01-01" in page
    assert "/admin/exports/community/lianhu.xlsx" in page and "/admin/posters/lianhu" in page
    district = client.get("/admin/dashboard/district?sort=support", headers=EN).text
    assert "/admin/exports/district.csv?version=1&amp;sort=support" in district
    assert "/admin/exports/answers.csv?version=1" in district
    street = client.get("/admin/dashboard/street/s-hehua?since=bad", headers=EN).text
    assert '/admin/exports/street/s-hehua.csv?version=1"' in street  # an invalid date is not passed on


def test_exports_carry_the_assisted_count(app, client, auth, survey):
    """Residents helped on a worker's phone count as participants and are shown apart, as on the dashboards."""
    survey.complete("lianhu")  # on their own phone
    helped = SurveyDriver(app, app.test_client())
    helped.start("lianhu")
    with helped.client.session_transaction() as session:
        session["attempt"] = dict(session["attempt"], assisted=True)
    answers, sections = right_answers(app, ())
    for number, names in enumerate(sections, start=1):
        assert helped.post_section(number, {name: answers[name] for name in names}).status_code == 302
    auth.as_role("admin")
    summary, _questions = read_csv_tables(client.get("/admin/exports/community/lianhu.csv", headers=EN).data)
    rows = {row[0]: row[1:] for row in summary[1:]}
    assert int(rows["Participants"][0]) == 2 and int(rows["Of whom assisted by staff"][0]) == 1
    ranking, _questions = read_csv_tables(client.get("/admin/exports/district.csv", headers=EN).data)
    column = ranking[0].index("Of whom assisted by staff")
    assert int(next(row for row in ranking if row[1] == "lianhu")[column]) == 1
    assert int(ranking[-1][column]) == 1  # the district total
