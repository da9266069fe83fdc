"""Communities admin: list, create and edit streets and communities, and the all-or-nothing import."""

import io
import json
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.communities_admin import services
from survey.communities_admin.views import bp
from survey.extensions import db
from survey.models import AuditEntry, Community, CommunityTranslation, Street, StreetTranslation
from tests.conftest import csrf_token, forged

EN = {"Accept-Language": "en-US,en;q=0.9"}
BASE = "/admin/communities"
HEADER = (
    "street_code,street_name_zh,street_name_en,community_code,community_name_zh,community_name_en,"
    "target_population,target_share"
)
GOOD_ROWS = [
    "s-hehua,荷花街道,Hehua Subdistrict,lianhu,莲湖社区,Lianhu Community,5000,25%",  # updates lianhu
    "s-new,新街道,New Subdistrict,xinyuan,新苑社区,Xinyuan Community,1200,0.3",
    "s-new,新街道,New Subdistrict,xinhe,新河社区,Xinhe Community,800,",
]


@pytest.fixture
def rctx(app):
    """A request context (messages are translated into the request's locale), for service tests."""
    with app.test_request_context(headers=EN):
        yield


@pytest.fixture
def admin(client, auth):
    """The test client, logged in as an administrator."""
    auth.as_role("admin")
    return client


def csv_bytes(*rows, header=HEADER, encoding="utf-8"):
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def upload(client, data, filename="communities.csv"):
    page = client.get(f"{BASE}/import", headers=EN)
    return client.post(
        f"{BASE}/import",
        headers=EN,
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(page.text), "file": (io.BytesIO(data), filename)},
    )


def payload_of(html):
    match = re.search(r'<input[^>]*name="payload"[^>]*>', html)
    assert match, "preview has no payload field"
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def confirm(client, preview_html, payload=None):
    return client.post(
        f"{BASE}/import/confirm",
        headers=EN,
        data={"csrf_token": csrf_token(preview_html), "payload": payload or payload_of(preview_html)},
    )


def snapshot(app):
    """Every street and community with its names and targets, to prove that nothing changed."""
    with app.app_context():
        streets = sorted(
            (s.code, s.position, tuple(sorted((t.locale, t.name) for t in s.translations)))
            for s in db.session.scalars(select(Street))
        )
        communities = sorted(
            (
                c.code,
                c.street.code,
                c.target_population,
                c.target_share,
                tuple(sorted((t.locale, t.name) for t in c.translations)),
            )
            for c in db.session.scalars(select(Community))
        )
        counts = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (StreetTranslation, CommunityTranslation, AuditEntry)
        ]
        return streets, communities, counts


def community_by_code(app, code):
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == code))
        if community is None:
            return None
        return {
            "street": community.street.code,
            "population": community.target_population,
            "share": community.target_share,
            "zh": community.tr("name", "zh"),
            "en": community.tr("name", "en"),
            "id": community.id,
        }


def audit_actions(app):
    with app.app_context():
        return [
            (e.action, e.target_id, json.loads(e.detail) if e.detail else None)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


# --- The list ----------------------------------------------------------------------------------------


def test_list_shows_streets_communities_targets_and_participants(admin, survey):
    survey.complete("lianhu")
    page = admin.get(f"{BASE}/", headers=EN)
    assert page.status_code == 200
    assert "荷花街道" in page.text and "Hehua Subdistrict" in page.text
    assert "莲湖社区" in page.text and "Lianhu Community" in page.text
    row = re.search(r"<code class=\"ca-code\">lianhu</code>.*?</tr>", page.text, re.S).group(0)
    cells = re.findall(r'<td class="num">\s*(.*?)\s*</td>', row, re.S)
    assert cells[0] == "4,200" and "20%" in cells[1] and cells[2] == "840" and cells[3] == "1"
    assert 'href="/admin/communities/import"' in page.text


def test_staff_navigation_links_to_the_list(admin):
    assert f'href="{BASE}/"' in admin.get("/admin/", headers=EN).text


# --- Streets -----------------------------------------------------------------------------------------


def test_create_and_edit_a_street_with_audit(app, admin):
    page = admin.get(f"{BASE}/streets/new", headers=EN)
    response = admin.post(
        f"{BASE}/streets/new",
        headers=EN,
        data={"csrf_token": csrf_token(page.text), "code": "S-North ", "name_zh": "北街道", "name_en": "North"},
    )
    assert response.status_code == 302
    with app.app_context():
        street = db.session.scalar(select(Street).where(Street.code == "s-north"))
        assert street.tr("name", "zh") == "北街道" and street.tr("name", "en") == "North"
        street_id = street.id
    response = admin.post(
        f"{BASE}/streets/{street_id}",
        headers=EN,
        data={
            "csrf_token": csrf_token(page.text),
            "code": "s-north",
            "name_zh": "北街道",
            "name_en": "North Subdistrict",
        },
    )
    assert response.status_code == 302
    actions = [(action, detail) for action, target, detail in audit_actions(app) if target == str(street_id)]
    assert [action for action, _ in actions] == ["street.create", "street.update"]
    assert actions[1][1]["before"]["names"]["en"] == "North"
    assert actions[1][1]["after"]["names"]["en"] == "North Subdistrict"


def test_street_code_must_be_unique_and_valid(app, admin):
    page = admin.get(f"{BASE}/streets/new", headers=EN)
    before = snapshot(app)
    taken = admin.post(
        f"{BASE}/streets/new",
        headers=EN,
        data={"csrf_token": csrf_token(page.text), "code": "s-hehua", "name_zh": "重复", "name_en": "Duplicate"},
    )
    assert taken.status_code == 422
    assert "Another street already uses the code s-hehua." in taken.text
    bad = admin.post(
        f"{BASE}/streets/new",
        headers=EN,
        data={"csrf_token": csrf_token(page.text), "code": "街道 1", "name_zh": "", "name_en": ""},
    )
    assert bad.status_code == 422
    assert "lowercase letters, digits or hyphens" in bad.text
    assert bad.text.count('class="error"') == 3
    assert snapshot(app) == before


# --- Communities -------------------------------------------------------------------------------------


def new_community_data(page, **changes):
    data = {
        "csrf_token": csrf_token(page.text),
        "street": "1",
        "code": "meiyuan",
        "name_zh": "梅园社区",
        "name_en": "Meiyuan Community",
        "target_population": "2500",
        "target_share": "25",
    }
    data.update(changes)
    return data


def test_create_a_community_with_its_target_and_audit(app, admin):
    page = admin.get(f"{BASE}/new?street=1", headers=EN)
    assert page.status_code == 200
    response = admin.post(f"{BASE}/new", headers=EN, data=new_community_data(page))
    assert response.status_code == 302
    created = community_by_code(app, "meiyuan")
    assert created["population"] == 2500 and created["share"] == pytest.approx(0.25)
    assert created["zh"] == "梅园社区" and created["en"] == "Meiyuan Community"
    create = [
        detail
        for action, target, detail in audit_actions(app)
        if action == "community.create" and target == str(created["id"])
    ]
    assert create and create[0]["after"]["target_population"] == 2500
    # Shown on the list, and the public survey finds it.
    assert "Meiyuan Community" in admin.get(f"{BASE}/", headers=EN).text
    assert admin.get("/c/meiyuan", headers=EN).status_code == 200


def test_empty_share_means_the_campaign_default(app, admin):
    page = admin.get(f"{BASE}/new", headers=EN)
    response = admin.post(f"{BASE}/new", headers=EN, data=new_community_data(page, target_share=""))
    assert response.status_code == 302
    assert community_by_code(app, "meiyuan")["share"] is None


def test_edit_a_community_records_before_and_after(app, admin):
    lianhu = community_by_code(app, "lianhu")
    page = admin.get(f"{BASE}/{lianhu['id']}", headers=EN)
    assert page.status_code == 200 and 'value="lianhu"' in page.text and 'value="20"' in page.text
    response = admin.post(
        f"{BASE}/{lianhu['id']}",
        headers=EN,
        data=new_community_data(
            page,
            code="lianhu",
            name_zh="莲湖社区",
            name_en="Lianhu Community",
            target_population="4500",
            target_share="12.5",
        ),
    )
    assert response.status_code == 302
    changed = community_by_code(app, "lianhu")
    assert changed["population"] == 4500 and changed["share"] == pytest.approx(0.125)
    update = [
        detail
        for action, target, detail in audit_actions(app)
        if action == "community.update" and target == str(lianhu["id"])
    ]
    assert update[0]["before"]["target_population"] == 4200 and update[0]["after"]["target_population"] == 4500


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "taoyuan"}, "Another community already uses the code taoyuan."),
        ({"code": "Bad_Code!"}, "lowercase letters, digits or hyphens"),
        ({"name_zh": "  "}, "This field is required."),
        ({"name_en": ""}, "This field is required."),
        ({"target_population": "0"}, "Enter a whole number greater than 0."),
        ({"target_population": "many"}, "Not a valid integer value."),
        ({"target_share": "150"}, "Enter a number from 1 to 100."),
        ({"target_share": "0"}, "Enter a number from 1 to 100."),
        ({"street": "999"}, "Not a valid choice."),
        ({"street": "abc"}, "Invalid Choice"),
    ],
)
def test_invalid_community_fields_are_422_with_a_message(app, admin, changes, message):
    before = snapshot(app)
    page = admin.get(f"{BASE}/new", headers=EN)
    response = admin.post(f"{BASE}/new", headers=EN, data=new_community_data(page, **changes))
    assert response.status_code == 422
    assert message in response.text
    assert snapshot(app) == before


@pytest.mark.parametrize("path", ["/999", "/streets/999"])
def test_unknown_ids_are_404(admin, path):
    page = admin.get(f"{BASE}/", headers=EN)
    assert admin.get(BASE + path, headers=EN).status_code == 404
    assert admin.post(BASE + path, headers=EN, data={"csrf_token": csrf_token(page.text)}).status_code == 404


# --- Import ------------------------------------------------------------------------------------------


def test_valid_csv_previews_then_imports(app, admin):
    before = snapshot(app)
    preview = upload(admin, csv_bytes(*GOOD_ROWS))
    assert preview.status_code == 200, preview.text
    assert snapshot(app) == before  # the preview changes nothing
    for count, label in [
        (2, "new communities"),
        (1, "communities updated"),
        (1, "new streets"),
        (0, "streets renamed"),
    ]:
        assert re.search(rf"<strong>{count}</strong>\s*{label}", preview.text), label
    assert "ca-badge-updated" in preview.text and "target_population" in preview.text
    done = confirm(admin, preview.text)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{BASE}/")
    assert community_by_code(app, "lianhu")["population"] == 5000
    assert community_by_code(app, "lianhu")["share"] == pytest.approx(0.25)
    xinyuan = community_by_code(app, "xinyuan")
    assert xinyuan == {**xinyuan, "street": "s-new", "population": 1200, "zh": "新苑社区", "en": "Xinyuan Community"}
    assert xinyuan["share"] == pytest.approx(0.3)
    assert community_by_code(app, "xinhe")["share"] is None
    actions = [action for action, _, _ in audit_actions(app)]
    assert actions.count("community.create") == 2 and actions.count("community.update") == 1
    assert actions.count("street.create") == 1 and actions.count("community.import") == 1
    flash = admin.get(f"{BASE}/", headers=EN).text
    assert "Import done: 2 new and 1 updated communities, 1 new streets." in flash


def test_bad_rows_change_nothing_and_every_line_is_reported(app, admin):
    before = snapshot(app)
    rows = [
        GOOD_ROWS[0],
        "s-new,新街道,New Subdistrict,Bad Code!,坏社区,Bad Community,100,",  # line 3
        GOOD_ROWS[1],
        "s-new,新街道,New Subdistrict,xinzhuang,新庄社区,Xinzhuang Community,lots,150%",  # line 5
        GOOD_ROWS[2],
    ]
    response = upload(admin, csv_bytes(*rows))
    assert response.status_code == 422
    lines = [int(n) for n in re.findall(r'<td class="num ca-line">(\d+)</td>', response.text)]
    assert set(lines) == {3, 5}
    assert "Nothing was imported." in response.text
    assert "community_code “Bad Code!” is not a valid code" in response.text
    assert "target_population “lots” is not a whole number" in response.text
    assert "target_share “150%” is out of range" in response.text
    assert 'name="payload"' not in response.text
    assert snapshot(app) == before


def test_duplicates_moves_missing_fields_and_bad_headers_are_reported(app, rctx):
    rows = [
        "s-hehua,荷花街道,Hehua Subdistrict,songlin,松林社区,Songlin Community,100,",  # songlin is in s-qingshan
        "s-a,甲街道,Street A,alpha,甲社区,Alpha,100,",
        "s-a,甲街道,Street A,alpha,甲社区二,Alpha again,100,",
        "s-a,甲街道改,Street A renamed,beta,乙社区,Beta,100,",
        "s-b,,Street B,gamma,丙社区,Gamma,,",
    ]
    rows_out, problems = services.parse_import("x.csv", csv_bytes(*rows))
    assert rows_out == []
    by_line = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(problem.message)
    assert sorted(by_line) == [2, 4, 5, 6]
    assert "already belongs to street s-qingshan" in by_line[2][0]
    assert "Community code alpha is also on line 3." in by_line[4]
    assert "Street s-a has different names on line 3." in by_line[5]
    assert {"street_name_zh is missing.", "target_population is missing."} <= set(by_line[6])
    _, problems = services.parse_import("x.csv", b"code,name\r\nx,y\r\n")
    assert problems[0].line == 1 and "street_code" in problems[0].message


def test_chinese_headers_and_shares_in_several_forms(rctx):
    header = "街道代码,街道名称,街道英文名,社区代码,社区名称,社区英文名,目标人口,目标比例"
    rows, problems = services.parse_import(
        "x.csv",
        csv_bytes(
            's-a,甲街道,Street A,alpha,甲社区,Alpha,"1,200",20%',
            "s-a,甲街道,Street A,beta,乙社区,Beta,800.0,0.15",
            "s-a,甲街道,Street A,gamma,丙社区,Gamma,300,30",
            header=header,
        ),
    )
    assert problems == []
    assert [(row["target_population"], row["target_share"]) for row in rows] == [(1200, 0.2), (800, 0.15), (300, 0.3)]
    assert all(row["status"] == "new" for row in rows)


def test_utf8_bom_csv_imports(app, admin):
    preview = upload(admin, b"\xef\xbb\xbf" + csv_bytes(*GOOD_ROWS[1:]))
    assert preview.status_code == 200
    assert confirm(admin, preview.text).status_code == 302
    assert community_by_code(app, "xinyuan")["zh"] == "新苑社区"


def test_gbk_encoded_csv_imports(app, admin):
    header = "街道代码,街道名称,街道英文名,社区代码,社区名称,社区英文名,目标人口,目标比例"
    data = csv_bytes(*GOOD_ROWS[1:], header=header, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = upload(admin, data, "excel.csv")
    assert preview.status_code == 200, preview.text
    assert confirm(admin, preview.text).status_code == 302
    assert community_by_code(app, "xinhe")["zh"] == "新河社区"
    with app.app_context():
        assert db.session.scalar(select(Street).where(Street.code == "s-new")).tr("name", "zh") == "新街道"


def test_xlsx_made_with_openpyxl_imports(app, admin):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Street_Code",
            "Street_Name_ZH",
            "Street_Name_EN",
            "Community_Code",
            "Community_Name_ZH",
            "Community_Name_EN",
            "Target_Population",
            "Target_Share",
        ]
    )
    sheet.append(["s-new", "新街道", "New Subdistrict", "xinyuan", "新苑社区", "Xinyuan Community", 1200, 0.3])
    sheet.append([None] * 8)  # blank rows are skipped
    sheet.append(["s-new", "新街道", "New Subdistrict", "xinhe", "新河社区", "Xinhe Community", 800.0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload(admin, buffer.getvalue(), "communities.xlsx")
    assert preview.status_code == 200, preview.text
    assert confirm(admin, preview.text).status_code == 302
    assert community_by_code(app, "xinyuan")["population"] == 1200
    assert community_by_code(app, "xinhe")["population"] == 800


def test_xlsx_problems_report_sheet_row_numbers(rctx):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(services.COLUMNS))
    sheet.append(["s-new", "新街道", "New", "ok-code", "好", "Good", 10, None])
    sheet.append(["s-new", "新街道", "New", "ok-two", "好二", "Good two", -5, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows, problems = services.parse_import("x.xlsx", buffer.getvalue())
    assert rows == [] and [problem.line for problem in problems] == [3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "This is not a CSV or XLSX file."),
        (b"PK\x03\x04garbage that is not a zip archive at all", "could not be read"),
        (b"\x01\x02\x03\xfe\xff" * 50, "This is not a CSV or XLSX file."),
        (b"", "The file is empty."),
        (b"\r\n\r\n", "The file is empty."),
        (csv_bytes(), "no data rows"),
    ],
)
def test_unusable_files_are_refused_with_a_message(app, admin, data, message):
    before = snapshot(app)
    response = upload(admin, data, "upload.csv")
    assert response.status_code == 422
    assert message in response.text
    assert snapshot(app) == before


def test_upload_without_a_file_is_422(admin):
    page = admin.get(f"{BASE}/import", headers=EN)
    response = admin.post(f"{BASE}/import", headers=EN, data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 422 and "Choose a file to import." in response.text


def test_row_limit(rctx, monkeypatch):
    monkeypatch.setattr(services, "MAX_ROWS", 3)
    rows = [f"s-a,甲,A,c-{n},社区{n},C{n},10," for n in range(4)]
    assert "more than 3 rows" in services.parse_import("x.csv", csv_bytes(*rows))[1][0].message


def test_a_large_file_goes_through_preview_and_confirm(app, admin):
    # Far above the residents' 64 KB body limit, and the signed preview travels back the same way.
    rows = [
        f"s-big,大街道,Big Subdistrict,big-{n},大社区第{n}号很长的名字用于测试,Big community number {n} "
        f"with a long name,{1000 + n},"
        for n in range(1500)
    ]
    data = csv_bytes(*rows)
    assert len(data) > 150_000
    preview = upload(admin, data)
    assert preview.status_code == 200
    assert confirm(admin, preview.text).status_code == 302
    assert community_by_code(app, "big-1499")["population"] == 2499


def test_too_large_an_upload_is_413_not_500(admin):
    body = io.BytesIO(b"a" * (4 * 1024 * 1024 + 10))  # an in-memory body: the test client would spool to disk
    response = admin.post(
        f"{BASE}/import",
        headers=EN,
        input_stream=body,
        content_length=len(body.getvalue()),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "4 MB" in response.text


def test_confirm_rechecks_against_the_database_and_changes_nothing_when_stale(app, admin):
    preview = upload(admin, csv_bytes(*GOOD_ROWS[1:]))
    assert preview.status_code == 200
    # Meanwhile another administrator puts "xinhe" under a different street.
    with app.test_request_context():
        street = db.session.scalar(select(Street).where(Street.code == "s-hehua"))
        services.create_community(street, "xinhe", {"zh": "新河", "en": "Xinhe"}, 100)
    before = snapshot(app)
    response = confirm(admin, preview.text)
    assert response.status_code == 422
    assert "already belongs to street s-hehua" in response.text
    assert snapshot(app) == before


def test_forged_or_foreign_payload_is_400(app, admin, make_staff, client):
    preview = upload(admin, csv_bytes(*GOOD_ROWS[1:]))
    payload = payload_of(preview.text)
    before = snapshot(app)
    assert confirm(admin, preview.text, payload=forged(payload)).status_code == 400
    with app.test_request_context():
        other = services.sign_rows([], staff_id=99999)
    assert confirm(admin, preview.text, payload=other).status_code == 400
    assert admin.post(f"{BASE}/import/confirm", data={"csrf_token": csrf_token(preview.text)}).status_code == 400
    assert snapshot(app) == before


def test_apply_import_is_all_or_nothing(app, rctx):
    rows, problems = services.parse_import("x.csv", csv_bytes(*GOOD_ROWS))
    assert problems == []
    rows[-1]["community_code"] = "Not Valid"
    before = snapshot(app)
    with pytest.raises(services.ImportRejected) as rejected:
        services.apply_import(rows)
    assert [problem.line for problem in rejected.value.problems] == [4]
    db.session.rollback()
    assert snapshot(app) == before


# --- Access ------------------------------------------------------------------------------------------


def test_every_view_is_for_administrators_only(app):
    endpoints = [name for name in app.view_functions if name.startswith(f"{bp.name}.")]
    assert {"communities_admin.index", "communities_admin.import_upload", "communities_admin.import_confirm"} <= set(
        endpoints
    )
    for name in endpoints:
        assert app.view_functions[name].allowed_roles == frozenset({"admin"}), name


ROUTES = [
    ("GET", "/"),
    ("GET", "/streets/new"),
    ("POST", "/streets/new"),
    ("GET", "/streets/1"),
    ("POST", "/streets/1"),
    ("GET", "/new"),
    ("POST", "/new"),
    ("GET", "/1"),
    ("POST", "/1"),
    ("GET", "/import"),
    ("POST", "/import"),
    ("POST", "/import/confirm"),
]


@pytest.mark.parametrize("role", ["editor", "district", "street", "community"])
def test_other_roles_are_refused(client, auth, role):
    auth.as_role(role)
    token = csrf_token(client.get("/admin/").text)
    for method, path in ROUTES:
        response = client.open(BASE + path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (role, method, path, response.status_code)


def test_anonymous_visitors_go_to_login(client):
    token = csrf_token(client.get("/admin/login").text)
    for method, path in ROUTES:
        response = client.open(BASE + path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/admin/login"), (method, path)


@pytest.mark.parametrize("path", [path for method, path in ROUTES if method == "POST"])
def test_posts_without_csrf_token_are_400(app, admin, path):
    before = snapshot(app)
    response = admin.post(BASE + path, headers=EN, data={"code": "zzz", "name_zh": "z", "name_en": "z"})
    assert response.status_code == 400
    assert snapshot(app) == before


def test_pages_render_in_chinese_and_english(admin):
    for headers in (EN, {"Accept-Language": "zh-CN,zh;q=0.9"}):
        for path in ("/", "/streets/new", "/streets/1", "/new", "/1", "/import"):
            page = admin.get(BASE + path, headers=headers)
            assert page.status_code == 200, path
            assert " style=" not in page.text
