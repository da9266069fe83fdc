"""The publicity-page editor: pages, preview, revisions (diff, restore), XSS, images, roles and bad input."""

import html
import io
import json
import random
import re
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from survey.content import clean_markdown
from survey.extensions import db
from survey.models import AuditEntry, Page, PageImage, PageRevision
from survey.pages_admin import services
from survey.security import STAFF_MAX_BODY
from tests.conftest import csrf_token

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


# --- Helpers ------------------------------------------------------------------------------------------


def page_fields(**overrides):
    """Form data for a page; booleans are sent only when true, as a browser does with checkboxes."""
    fields = {
        "slug": "test-page",
        "category": "know",
        "position": "3",
        "title_zh": "测试页面",
        "body_zh": "第一行\n\n第二行",
        "title_en": "Test page",
        "body_en": "First line\n\nSecond line",
        "note": "",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not False}


def post_form(client, url, data, form_url=None):
    page = client.get(form_url or url)
    assert page.status_code == 200, page.text
    return client.post(url, data=dict(data, csrf_token=csrf_token(page.text)))


def create_page(client, **overrides):
    response = post_form(client, "/admin/pages/new", page_fields(**overrides))
    assert response.status_code == 302, response.text
    return int(re.search(r"/admin/pages/(\d+)/edit", response.headers["Location"]).group(1))


def edit_page(client, page_id, **overrides):
    return post_form(client, f"/admin/pages/{page_id}/edit", page_fields(**overrides))


def revisions_of(app, page_id):
    with app.app_context():
        rows = db.session.scalars(
            select(PageRevision).where(PageRevision.page_id == page_id).order_by(PageRevision.number)
        ).all()
        return [(row.number, json.loads(row.content), row.note, row.staff_id) for row in rows]


def restore(client, page_id, number):
    history = client.get(f"/admin/pages/{page_id}/history")
    return client.post(
        f"/admin/pages/{page_id}/revisions/{number}/restore", data={"csrf_token": csrf_token(history.text)}
    )


@pytest.fixture
def editor(auth, client):
    """The test client, logged in as a publicity editor."""
    auth.as_role("editor")
    return client


# --- Pages: create, edit, publish -------------------------------------------------------------------


def test_list_shows_pages_with_category_state_and_a_new_button(editor):
    page = editor.get("/admin/pages/", headers=EN)
    assert page.status_code == 200
    assert 'href="/admin/pages/new"' in page.text
    assert "Civilised behaviour" in page.text and "Published" in page.text
    assert "/pages/waste-sorting" in page.text


def test_new_draft_is_hidden_then_published_and_featured(app, editor):
    page_id = create_page(editor, is_published=False)
    assert editor.get("/pages/test-page").status_code == 404
    listing = editor.get("/admin/pages/", headers=EN).text
    assert "Test page" in listing and "Draft" in listing

    response = edit_page(editor, page_id, is_published="y", is_featured="y", body_en="Published text")
    assert response.status_code == 302
    public = editor.get("/pages/test-page", headers=EN)
    assert public.status_code == 200 and "Published text" in public.text
    assert "测试页面" in editor.get("/pages/test-page", headers=ZH).text
    home = editor.get("/", headers=EN).text
    read_first = home.split('id="read-first"')[1].split("</section>")[0]
    assert "Test page" in read_first

    edit_page(editor, page_id, is_published="y", is_featured=False)
    home = editor.get("/", headers=EN).text
    assert "Test page" not in home.split('id="read-first"')[1].split("</section>")[0]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(page_id))).all()
    assert actions.count("page.create") == 1 and actions.count("page.update") == 2


def test_published_page_needs_a_title_in_both_languages(app, editor):
    form = editor.get("/admin/pages/new")
    response = editor.post(
        "/admin/pages/new",
        headers=EN,
        data=dict(page_fields(is_published="y", title_en="  "), csrf_token=csrf_token(form.text)),
    )
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="title_en-error" role="alert">([^<]*)</p>', response.text)
    assert error and "A published page needs a title in this language." in error.group(1)
    with app.app_context():
        assert db.session.scalar(select(Page).where(Page.slug == "test-page")) is None


def test_draft_may_be_in_one_language_and_falls_back(editor):
    page_id = create_page(editor, title_en="", body_en="")
    edit_page(editor, page_id, title_en="", body_en="", is_published="y")  # refused: needs both titles
    assert editor.get("/pages/test-page").status_code == 404
    preview = editor.get(f"/admin/pages/{page_id}/preview?locale=en")
    assert preview.status_code == 200 and "测试页面" in preview.text  # no English row: the Chinese text shows


@pytest.mark.parametrize("slug", ["Bad Slug", "UPPER", "a--b", "-a", "ä", "x" * 65, ""])
def test_invalid_slug_is_refused_with_a_message(app, editor, slug):
    response = post_form(editor, "/admin/pages/new", page_fields(slug=slug))
    assert response.status_code == 422
    assert "single dashes" in response.text or "单个连字符" in response.text or "64" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Page.id)).where(Page.slug == slug)) == 0


def test_taken_slug_is_refused_with_a_message(editor):
    response = editor.post(
        "/admin/pages/new",
        headers=EN,
        data=dict(page_fields(slug="waste-sorting"), csrf_token=csrf_token(editor.get("/admin/pages/new").text)),
    )
    assert response.status_code == 422
    assert "Another page already uses this address." in response.text


def test_unknown_category_is_refused(app, editor):
    response = post_form(editor, "/admin/pages/new", page_fields(category="evil"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Page).where(Page.slug == "test-page")) is None


def test_bad_position_is_a_form_error_not_a_crash(editor):
    response = post_form(editor, "/admin/pages/new", page_fields(position="abc"))
    assert response.status_code == 422


def test_category_labels_are_translated(editor):
    english = editor.get("/admin/pages/new", headers=EN).text
    for label in [
        "Why the campaign matters",
        "What residents gain",
        "What every resident should know",
        "Civilised behaviour",
        "Volunteering",
    ]:
        assert label in english


def test_editor_page_is_bilingual_and_labels_each_language(editor):
    page = editor.get("/admin/pages/new", headers=EN).text
    assert 'lang="zh-Hans"' in page and 'name="body_en"' in page and 'name="title_zh"' in page
    assert 'formaction="/admin/pages/preview"' in page


# --- Preview ------------------------------------------------------------------------------------------


def test_preview_of_a_draft_form_saves_nothing(app, editor):
    form = editor.get("/admin/pages/new")
    data = dict(page_fields(body_en="**Unsaved** words"), csrf_token=csrf_token(form.text), preview_locale="en")
    preview = editor.post("/admin/pages/preview", data=data)
    assert preview.status_code == 200
    assert "<strong>Unsaved</strong> words" in preview.text and '<html lang="en">' in preview.text
    assert 'class="prose"' in preview.text  # the residents' page template
    with app.app_context():
        assert db.session.scalar(select(Page).where(Page.slug == "test-page")) is None


def test_preview_of_changes_leaves_the_saved_page_alone(app, editor):
    page_id = create_page(editor, is_published="y")
    form = editor.get(f"/admin/pages/{page_id}/edit")
    data = dict(
        page_fields(is_published="y", body_zh="新的内容"), csrf_token=csrf_token(form.text), preview_locale="zh"
    )
    preview = editor.post(f"/admin/pages/{page_id}/preview", data=data)
    assert preview.status_code == 200 and "新的内容" in preview.text and '<html lang="zh-Hans">' in preview.text
    assert "新的内容" not in editor.get("/pages/test-page", headers=ZH).text
    assert len(revisions_of(app, page_id)) == 1


def test_saved_draft_and_old_revisions_can_be_previewed(editor):
    page_id = create_page(editor, body_en="Version one")
    edit_page(editor, page_id, body_en="Version two")
    assert "Version two" in editor.get(f"/admin/pages/{page_id}/preview?locale=en").text
    old = editor.get(f"/admin/pages/{page_id}/preview?locale=en&revision=1")
    assert old.status_code == 200 and "Version one" in old.text
    assert editor.get(f"/admin/pages/{page_id}/preview?revision=99").status_code == 404


# --- Revisions ------------------------------------------------------------------------------------------


def test_every_save_keeps_a_full_revision_with_the_staff_member(app, editor):
    page_id = create_page(editor, note="first draft")
    edit_page(editor, page_id, body_en="Changed", note="fixed\x00 <b>wording</b>")  # NUL: PostgreSQL refuses it
    revisions = revisions_of(app, page_id)
    assert [number for number, *_rest in revisions] == [1, 2]
    content = revisions[1][1]
    assert content["translations"]["en"]["body"] == "Changed"
    assert content["translations"]["zh"]["title"] == "测试页面"
    assert {"category", "is_published", "is_featured", "slug", "position"} <= set(content)
    assert revisions[0][2] == "first draft" and revisions[1][2] == "fixed wording"
    assert revisions[1][3] is not None


def test_saving_without_changes_adds_no_revision(app, editor):
    page_id = create_page(editor)
    assert edit_page(editor, page_id).status_code == 302
    assert len(revisions_of(app, page_id)) == 1


def test_first_edit_of_a_demo_page_keeps_its_original_text(app, editor):
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == "waste-sorting"))
        page_id, original = page.id, page.tr("body", "zh")
    assert revisions_of(app, page_id) == []
    assert "first save will keep the current text" in editor.get(f"/admin/pages/{page_id}/history", headers=EN).text
    response = edit_page(
        editor, page_id, slug="waste-sorting", category="behaviour", is_published="y", body_zh="全新的文字"
    )
    assert response.status_code == 302
    revisions = revisions_of(app, page_id)
    assert [number for number, *_rest in revisions] == [1, 2]
    assert revisions[0][1]["translations"]["zh"]["body"] == original and revisions[0][3] is None
    assert revisions[1][1]["translations"]["zh"]["body"] == "全新的文字"
    assert "Original text, kept before the first edit" in editor.get(f"/admin/pages/{page_id}/history", headers=EN).text


def test_history_diff_and_restore(app, editor):
    page_id = create_page(editor, is_published="y", body_en="Alpha\nBravo\nCharlie")
    edit_page(editor, page_id, is_published="y", body_en="Alpha\nBRAVO\nCharlie\nDelta")
    edit_page(editor, page_id, is_published="y", body_en="Echo", title_en="Renamed", category="why")

    history = editor.get(f"/admin/pages/{page_id}/history", headers=EN)
    assert history.status_code == 200
    for number in ("#1", "#2", "#3"):
        assert number in history.text
    assert "editor" in history.text and "Page created" in history.text

    diff = editor.get(f"/admin/pages/{page_id}/diff?old=1&new=2", headers=EN)
    assert diff.status_code == 200
    body = diff.text
    assert re.search(r"Removed\s*</td>\s*<td[^>]*><del>Bravo</del>", body)
    assert re.search(r"Added\s*</td>\s*<td[^>]*><ins>BRAVO</ins>", body)
    assert re.search(r"Added\s*</td>\s*<td[^>]*><ins>Delta</ins>", body)
    assert '<th scope="col">' in body  # an accessible table with headers
    settings = editor.get(f"/admin/pages/{page_id}/diff?old=2&new=3", headers=EN).text
    assert "Why the campaign matters" in settings and "Renamed" in settings
    assert "same" in editor.get(f"/admin/pages/{page_id}/diff?old=2&new=2", headers=EN).text

    response = restore(editor, page_id, 1)
    assert response.status_code == 302
    revisions = revisions_of(app, page_id)
    assert [number for number, *_rest in revisions] == [1, 2, 3, 4]
    assert revisions[3][1] == revisions[0][1]  # the new revision equals the old one
    assert revisions[3][2] == "system:restored:1"
    assert revisions[1][1]["translations"]["en"]["body"] == "Alpha\nBRAVO\nCharlie\nDelta"  # history kept
    public = editor.get("/pages/test-page", headers=EN).text
    assert "Bravo" in public and "Echo" not in public
    assert "Restored from revision 1" in editor.get(f"/admin/pages/{page_id}/history", headers=EN).text
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "page.restore")) is not None


def test_diff_marks_the_changed_words_inside_a_changed_line(editor):
    page_id = create_page(editor, body_zh="垃圾分类从我做起，人人参与。")
    edit_page(editor, page_id, body_zh="垃圾分类从你做起，人人参与。")
    diff = editor.get(f"/admin/pages/{page_id}/diff", headers=EN).text
    assert "<del>垃圾分类从<mark>我</mark>做起，人人参与。</del>" in diff
    assert "<ins>垃圾分类从<mark>你</mark>做起，人人参与。</ins>" in diff


def test_long_unchanged_stretches_are_folded(ctx):
    old = "\n".join(f"line {number}" for number in range(1, 21))
    new = old.replace("line 10", "line ten")
    lines = services.compare(
        {
            **{key: "" for key in services.FLAGS},
            "translations": {"zh": {"title": "", "body": old}, "en": {"title": "", "body": ""}},
        },
        {
            **{key: "" for key in services.FLAGS},
            "translations": {"zh": {"title": "", "body": new}, "en": {"title": "", "body": ""}},
        },
    )["texts"][1]["lines"]
    kinds = [line["kind"] for line in lines]
    assert kinds == ["skip", "same", "same", "removed", "added", "same", "same", "skip"]
    assert lines[0]["count"] == 7 and lines[-1]["count"] == 8


def test_restore_keeps_the_slug_when_another_page_took_it(app, editor):
    page_id = create_page(editor)
    edit_page(editor, page_id, slug="renamed-page")
    create_page(editor, slug="test-page", title_en="Other")
    assert restore(editor, page_id, 1).status_code == 302
    with app.app_context():
        assert db.session.get(Page, page_id).slug == "renamed-page"


def test_stale_form_does_not_silently_overwrite(app, editor):
    page_id = create_page(editor)
    stale = editor.get(f"/admin/pages/{page_id}/edit")
    token = csrf_token(stale.text)
    edit_page(editor, page_id, body_en="Someone else's words")
    data = dict(page_fields(body_en="My words"), csrf_token=token, revision="1")
    response = editor.post(f"/admin/pages/{page_id}/edit", data=data, headers=EN)
    assert response.status_code == 409 and "Someone else saved this page" in response.text
    assert len(revisions_of(app, page_id)) == 2
    again = editor.post(f"/admin/pages/{page_id}/edit", data=dict(data, revision="2"))
    assert again.status_code == 302 and len(revisions_of(app, page_id)) == 3


# --- XSS ----------------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" oNeRrOr="alert(1)">',
    "<img src=x o\x00nerror=alert(1)>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:text/html,<script>alert(1)</script>)",
    "[ref]: javascript:alert(1)\n\n[click][ref]",
    "<javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">click</math>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<<script>script>alert(1)<</script>/script>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    "<!--><script>alert(1)</script>-->",
    '"><img src=x onerror=alert(1)>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<video><source onerror="alert(1)"></video>',
    '<img src="/media/aaaaaaaaaaaaaaaaaaaa.png" onerror="alert(1)">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="#" title="x" style="behavior:url(x.htc)">x</a>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "srcset"}
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "style",
    "textarea",
    "video",
    "source",
    "details",
    "noscript",
    "body",
}


class ExecutableFinder(HTMLParser):
    """Collects everything in a page fragment that a browser could run or that could redirect it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and any(name == "http-equiv" for name, _value in attrs):
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc"}:
                self.problems.append(f"{tag} {name}=")
            if name in URL_ATTRIBUTES and value is not None:
                url = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                if url.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{tag} {name}={value!r}")
            if tag == "img" and name == "src" and value and not value.startswith("/media/"):
                self.problems.append(f"img src={value!r}")

    handle_startendtag = handle_starttag


def executable_parts(page_html):
    """What could run in the staff-written part (<article class="prose">) of a page, plus raw checks."""
    article = page_html.split('<article class="prose">', 1)[1].split("</article>", 1)[0]
    finder = ExecutableFinder()
    finder.feed(article)
    finder.close()
    problems = finder.problems
    lowered = article.lower()
    for needle in ("<script", "<iframe", "<object", "<embed", "<base", "<meta", "<svg", "<math", "<style"):
        if needle in lowered:
            problems.append(needle)
    if re.search(r"<[^>]*\son\w+\s*=", article, re.IGNORECASE):
        problems.append("event handler in a tag")
    return problems


def stored_problems(source):
    """Raw HTML or unsafe links left in the stored Markdown source."""
    lowered = source.lower()
    found = [
        needle
        for needle in (
            "<script",
            "<iframe",
            "<object",
            "<embed",
            "<base",
            "<meta",
            "<svg",
            "<math",
            "<style",
            "<form",
            "<input",
            "<link",
            "<body",
        )
        if needle in lowered
    ]
    if re.search(r"<[^>]*\son\w+\s*=", source, re.IGNORECASE):
        found.append("event handler")
    if clean_markdown(source) != source:
        found.append("not stable under cleaning")
    return found


def test_there_are_at_least_thirty_distinct_payloads():
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS) >= 30


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_saved_through_the_editor_never_comes_back_executable(app, editor, payload):
    fields = page_fields(
        is_published="y",
        title_en=("T " + payload)[:200],
        body_zh=f"前文\n\n{payload}\n\n后文",
        body_en=f"Before {payload} after\n\n{payload}",
    )
    form = editor.get("/admin/pages/new")
    response = editor.post("/admin/pages/new", data=dict(fields, csrf_token=csrf_token(form.text)))
    assert response.status_code == 302, response.text
    page_id = int(re.search(r"/admin/pages/(\d+)/edit", response.headers["Location"]).group(1))

    with app.app_context():
        page = db.session.get(Page, page_id)
        for row in page.translations:
            assert stored_problems(row.body) == [], (row.locale, row.body)
            assert "<" not in row.title or not re.search(r"<[a-zA-Z!/?]", row.title), row.title

    pages = {
        "public zh": editor.get("/pages/test-page", headers=ZH),
        "public en": editor.get("/pages/test-page", headers=EN),
        "saved preview en": editor.get(f"/admin/pages/{page_id}/preview?locale=en"),
        "form preview en": editor.post(
            "/admin/pages/preview", data=dict(fields, csrf_token=csrf_token(form.text), preview_locale="en")
        ),
        "form preview zh": editor.post(
            f"/admin/pages/{page_id}/preview", data=dict(fields, csrf_token=csrf_token(form.text), preview_locale="zh")
        ),
    }
    for name, shown in pages.items():
        assert shown.status_code == 200, name
        assert executable_parts(shown.text) == [], (name, shown.text.split('<article class="prose">')[1][:600])
        assert "Content-Security-Policy" in shown.headers
    assert "后文" in pages["public zh"].text  # the words around the payload survive


def test_ordinary_markdown_survives_cleaning(editor):
    body = (
        "## Heading\n\n**bold** and *italic*, a [link](https://example.org/a_(b)) and <https://example.org>\n\n"
        "- one\n- two\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nx < y and `<b>` in code"
    )
    create_page(editor, is_published="y", body_en=body)
    shown = editor.get("/pages/test-page", headers=EN).text
    for fragment in (
        "<h2>Heading</h2>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        'href="https://example.org/a_(b)"',
        "<li>one</li>",
        "<blockquote>",
        "<table>",
        "x &lt; y",
        "<code>&lt;b&gt;</code>",
    ):
        assert fragment in shown, fragment


def test_images_from_other_hosts_are_dropped(editor):
    create_page(editor, is_published="y", body_en="![tracker](https://evil.example/pixel.png)")
    shown = editor.get("/pages/test-page", headers=EN).text
    assert "evil.example" not in shown


# --- Images ---------------------------------------------------------------------------------------------


def image_bytes(image_format="PNG", size=(4, 3), noise=False):
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        image = Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def upload(client, data, filename="picture.png", headers=None):
    page = client.get("/admin/pages/images")
    return client.post(
        "/admin/pages/images",
        headers=headers or {},
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(page.text), "image": (io.BytesIO(data), filename)},
    )


def image_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(PageImage.id)))


def test_a_real_png_is_accepted_served_and_usable_in_a_page(app, editor):
    response = upload(editor, image_bytes(), headers=EN)  # the flash is written in the uploader's language
    assert response.status_code == 302
    with app.app_context():
        image = db.session.scalars(select(PageImage)).one()
        token, size = image.token, (image.width, image.height)
    assert size == (4, 3)
    listing = editor.get(response.headers["Location"], headers=EN).text
    assert f"](/media/{token}.png)" in listing and "Image uploaded" in listing
    assert f"/media/{token}.png" in editor.get("/admin/pages/new").text  # shown on the editor page too

    served = editor.get(f"/media/{token}.png")
    assert served.status_code == 200 and served.data == image_bytes()
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert editor.get(f"/media/{token}.jpg").status_code == 404
    assert editor.get("/media/not-a-token.png").status_code == 404

    create_page(editor, is_published="y", body_en=f"![A red square](/media/{token}.png)")
    shown = editor.get("/pages/test-page", headers=EN).text
    assert re.search(rf'<img (?=[^>]*alt="A red square")(?=[^>]*src="/media/{token}\.png")[^>]*>', shown)


@pytest.mark.parametrize(
    "image_format,content_type", [("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")]
)
def test_other_allowed_formats_are_recognised_by_content(app, editor, image_format, content_type):
    assert upload(editor, image_bytes(image_format), filename="no-extension").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(PageImage)).one().content_type == content_type


@pytest.mark.parametrize(
    "data,filename",
    [
        (b"just some text, not an image\n" * 10, "notes.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "drawing.png"),
        (b"<html><script>alert(1)</script></html>", "page.png"),
        (image_bytes("BMP"), "bitmap.png"),
        (image_bytes()[:40], "truncated.png"),
        (b"", "empty.png"),
    ],
)
def test_files_that_are_not_allowed_images_are_refused(app, editor, data, filename):
    response = upload(editor, data, filename, headers=EN)
    assert response.status_code == 422
    assert (
        "not a PNG, JPEG, GIF or WebP image" in response.text
        or "The file is empty" in response.text
        or "Choose an image file" in response.text
    )
    assert image_count(app) == 0


def test_an_image_over_the_size_limit_is_refused_with_a_message(app, editor):
    app.config["MAX_IMAGE_BYTES"] = 20_000
    data = image_bytes(size=(200, 200), noise=True)
    assert len(data) > 20_000
    response = upload(editor, data, headers=EN)
    assert response.status_code == 422 and "larger than" in response.text
    assert image_count(app) == 0


def test_a_request_far_over_the_limit_gets_the_form_with_a_message(app, editor):
    token = csrf_token(editor.get("/admin/pages/images").text)
    # Encoded by hand: the test client would spool a body this large to a temporary file it never closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": token,
            "image": FileStorage(io.BytesIO(b"\x89PNG" + b"0" * (STAFF_MAX_BODY + 1024)), filename="huge.png"),
        }
    )
    response = editor.post(
        "/admin/pages/images", data=body, headers=EN, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "larger than" in response.text and 'name="image"' in response.text
    assert image_count(app) == 0


def test_too_many_pixels_are_refused(ctx):
    with pytest.raises(services.ImageError, match="too_many_pixels"):
        services.read_image(io.BytesIO(image_bytes(size=(20, 20))), 10_000, max_pixels=100)


def test_image_upload_field_says_what_it_accepts(editor):
    page = editor.get("/admin/pages/images").text
    assert 'accept="image/png,image/jpeg,image/webp,image/gif"' in page
    assert 'enctype="multipart/form-data"' in page


# --- Access and bad input ---------------------------------------------------------------------------------

STAFF_URLS = [
    "/admin/pages/",
    "/admin/pages/new",
    "/admin/pages/1/edit",
    "/admin/pages/1/history",
    "/admin/pages/1/diff",
    "/admin/pages/1/preview",
    "/admin/pages/images",
]


@pytest.mark.parametrize("role", ["district", "street", "community"])
def test_other_roles_are_refused(auth, client, role):
    auth.as_role(role)
    for url in STAFF_URLS:
        assert client.get(url).status_code == 403, url


def test_admins_may_edit_pages(auth, client):
    auth.as_role("admin")
    assert client.get("/admin/pages/").status_code == 200


def test_anonymous_visitors_are_sent_to_login(client):
    for url in STAFF_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], url


def test_every_view_declares_its_roles(app):
    endpoints = [endpoint for endpoint in app.view_functions if endpoint.startswith("pages_admin.")]
    assert len(endpoints) >= 9
    for endpoint in endpoints:
        assert app.view_functions[endpoint].allowed_roles == frozenset({"admin", "editor"}), endpoint


def test_media_is_public(app, editor, client):
    upload(editor, image_bytes())
    with app.app_context():
        token = db.session.scalars(select(PageImage)).one().token
    anonymous = app.test_client()
    assert anonymous.get(f"/media/{token}.png").status_code == 200


def test_posting_without_a_csrf_token_is_refused(app, editor):
    response = editor.post("/admin/pages/new", data=page_fields())
    assert response.status_code == 400
    assert editor.post("/admin/pages/1/revisions/1/restore").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Page).where(Page.slug == "test-page")) is None


@pytest.mark.parametrize(
    "url",
    [
        "/admin/pages/99999/edit",
        "/admin/pages/99999/history",
        "/admin/pages/99999/diff",
        "/admin/pages/99999/preview",
        "/admin/pages/1/diff?old=1&new=50",
        "/admin/pages/1/diff?old=x&new=y",
    ],
)
def test_unknown_pages_and_revisions_are_404(editor, url):
    assert editor.get(url).status_code == 404


def test_restoring_an_unknown_revision_is_404(editor):
    page_id = create_page(editor)
    token = csrf_token(editor.get(f"/admin/pages/{page_id}/edit").text)
    assert editor.post(f"/admin/pages/{page_id}/revisions/42/restore", data={"csrf_token": token}).status_code == 404
    assert editor.post("/admin/pages/99999/revisions/1/restore", data={"csrf_token": token}).status_code == 404


def test_the_editor_page_has_no_duplicate_ids(editor):
    """Labels, error links and scripts find one element per id (the page and image forms both had "submit")."""
    page_id = create_page(editor)
    for url in ("/admin/pages/new", f"/admin/pages/{page_id}/edit"):
        ids = re.findall(r'\sid="([^"]+)"', editor.get(url, headers=EN).text)
        assert ids and len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
