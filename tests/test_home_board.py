"""The home page: inspection countdown and the public participation board (participation only, small counts hidden)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from survey.campaign import get_campaign
from survey.demo import simulate_responses
from survey.extensions import db
from survey.models import Community, Response, Street
from survey.participation import BOARD_INLINE_LIMIT, participants_by_community, participation_board
from survey.questionnaire.services import current_version

EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
# Rate names that belong to staff pages only (the footer's slogan 全民知晓、全民支持 is not a figure).
FORBIDDEN = (
    "awareness",
    "知晓率",
    "satisf",
    "满意",
    "support rate",
    "支持率",
    "average score",
    "平均分",
    "correct rate",
    "正确率",
)


def set_campaign(app, **values):
    with app.app_context():
        campaign = get_campaign()
        for name, value in values.items():
            setattr(campaign, name, value)
        db.session.commit()


def recount(app):
    """Counted responses per community on the current version, counted in Python the slow, obvious way."""
    with app.app_context():
        version = current_version()
        counts = {}
        for response in db.session.scalars(select(Response)):
            if response.version_id == version.id and response.is_counted:
                counts[response.community_id] = counts.get(response.community_id, 0) + 1
        return counts


def board_items(html):
    """``{community id: text of its board entry}`` from the home page."""
    items = {}
    for block in html.split('<li class="board-item')[1:]:
        block = block.split("</li>")[0]
        community_id = int(re.search(r'id="board-c-(\d+)"', block).group(1))
        items[community_id] = block
    return items


def communities(app):
    with app.app_context():
        return {c.id: (c.code, c.target_population, c.target_share) for c in db.session.scalars(select(Community))}


def test_board_numbers_equal_a_recount(app, client):
    with app.app_context():
        simulate_responses(240, seed=7)
    set_campaign(app, min_count=5)
    counts = recount(app)
    assert sum(counts.values()) < 240  # retakes are practice, not participants
    items = board_items(client.get("/", headers=EN).text)
    assert set(items) == set(communities(app))
    for community_id, (code, population, share) in communities(app).items():
        count = counts.get(community_id, 0)
        block = items[community_id]
        target = round(population * (share or 0.2))
        if count < 5:
            assert "Fewer than 5 so far" in block, code
            continue
        assert re.search(rf"\b{count:,} participants?\b", block), (code, count)
        assert f'<progress max="{target}" value="{min(count, target)}"' in block, code
        assert f"target {target:,}" in block
        percent = round(100 * count / target)
        assert f'<span class="board-percent">{percent}%</span>' in block, (code, percent)


def test_participants_come_from_one_grouped_query_of_the_rollup(app, ctx):
    simulate_responses(120, seed=3)
    version_id = current_version().id
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        counts = participants_by_community(version_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # One grouped read of the daily rollup, never a scan of every response.
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "stats_day" in statements[0]
    assert "response" not in statements[0].replace("stats_day", "")
    assert counts == recount(app)


def test_small_counts_are_suppressed(app, client, survey):
    survey.complete("lianhu")
    survey.complete("lianhu")  # a retake by the same resident: still one participant
    with app.app_context():
        lianhu = db.session.scalar(select(Community).where(Community.code == "lianhu")).id
    block = board_items(client.get("/", headers=EN).text)[lianhu]
    assert "Fewer than 5 so far" in block and "target 840" in block
    assert "<progress" not in block and "participant" not in block and "board-percent" not in block
    set_campaign(app, min_count=1)
    block = board_items(client.get("/", headers=EN).text)[lianhu]
    assert re.search(r"\b1 participant\b", block) and '<progress max="840" value="1"' in block
    assert "Fewer than" not in block


def test_suppressed_entries_carry_no_figures(app, rctx):
    simulate_responses(30, seed=11)
    for _street, entries in participation_board():
        for entry in entries:
            if entry.is_suppressed:
                assert entry.participants is None and entry.participation_rate is None
                assert entry.target_reached is None and entry.progress_value is None


def test_board_without_population_shows_count_only(app, client, survey):
    survey.complete("lianhu")
    set_campaign(app, min_count=1)
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "lianhu"))
        community.target_population = None
        db.session.commit()
        lianhu = community.id
    block = board_items(client.get("/", headers=EN).text)[lianhu]
    assert "1 participant" in block and "<progress" not in block and "target" not in block


def test_no_awareness_support_or_satisfaction_figures_on_the_home_page(app, client):
    with app.app_context():
        simulate_responses(200, seed=5)
    for headers in (EN, ZH):
        text = client.get("/", headers=headers).text.lower()
        for word in FORBIDDEN:
            assert word not in text, word
        # The only percentages on the page are participation against target, inside the board's entries.
        outside_board = re.sub(r'<li class="board-item.*?</li>', "", text, flags=re.S)
        assert not re.search(r"\d\s*%", outside_board)


def shanghai_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (30, "30</strong> days to the inspection"),
        (1, "1</strong> day to the inspection"),
        (0, "The inspection starts today"),
        (-3, "The inspection took place on"),
    ],
)
def test_countdown(app, client, offset, expected):
    set_campaign(app, inspection_date=shanghai_today() + timedelta(days=offset))
    page = client.get("/", headers=EN).text
    assert expected in page
    assert 'class="countdown' in page


def test_countdown_hidden_without_a_date(app, client):
    set_campaign(app, inspection_date=None)
    assert 'class="countdown' not in client.get("/", headers=EN).text


def test_home_keeps_its_parts_in_both_languages(app, client):
    for headers, street, community in ((EN, "Hehua Subdistrict", "Lianhu Community"), (ZH, "荷花街道", "莲湖社区")):
        page = client.get("/", headers=headers)
        assert page.status_code == 200
        text = page.text
        assert 'class="hero"' in text and 'href="/survey/"' in text  # the call to take the survey
        assert 'id="read-first"' in text and 'class="notice"' in text
        assert 'id="board-title"' in text and street in text and community in text
        assert " style=" not in text and "<script>" not in text


@pytest.fixture
def rctx(app):
    """A request context, for services that format or translate."""
    with app.test_request_context(headers=EN):
        yield


def add_communities(app, street_code, count):
    """Grow the district past what the home page lists community by community."""
    with app.app_context():
        street = db.session.scalar(select(Street).where(Street.code == street_code))
        for index in range(count):
            community = Community(
                code=f"grow-{index}", street=street, position=100 + index, target_population=1000, target_share=0.1
            )
            community.set_translation("zh", name=f"新社区{index}")
            community.set_translation("en", name=f"New Community {index}")
            db.session.add(community)
        db.session.commit()


def test_a_large_district_lists_streets_that_link_to_their_communities(app, client):
    add_communities(app, "s-hehua", BOARD_INLINE_LIMIT)
    with app.app_context():
        simulate_responses(400, seed=5)
        streets = {s.id: s.code for s in db.session.scalars(select(Street))}
        members = {c.id: c.street_id for c in db.session.scalars(select(Community))}
        targets = {
            c.id: round(c.target_population * (c.target_share or 0.2)) for c in db.session.scalars(select(Community))
        }
    set_campaign(app, min_count=5)
    counts = recount(app)
    home = client.get("/", headers=EN).text
    assert '<li class="board-item' in home and 'id="board-c-' not in home  # no community entries on the home page
    for street_id, code in streets.items():
        people = sum(n for community_id, n in counts.items() if members[community_id] == street_id)
        target = sum(t for community_id, t in targets.items() if members[community_id] == street_id)
        block = home.split(f'id="board-s-{street_id}"')[1].split("</li>")[0]
        assert block.startswith(f' href="/board/{code}"')
        assert re.search(rf"\b{people:,} participants?\b", block), (code, people)
        assert f"target {target:,}" in block
        page = client.get(f"/board/{code}", headers=EN)
        assert page.status_code == 200
        items = board_items(page.text)
        assert {members[community_id] for community_id in items} == {street_id}
        for community_id, text in items.items():
            if counts.get(community_id, 0) >= 5:
                assert re.search(rf"\b{counts[community_id]:,} participants?\b", text)


def test_a_street_below_the_minimum_shows_no_figures(app, client):
    add_communities(app, "s-hehua", BOARD_INLINE_LIMIT)
    home = client.get("/", headers=EN).text
    assert home.count("Fewer than 5 so far") == 3 and "<progress" not in home


@pytest.mark.parametrize("code", ["nowhere", "..%2f..%2fetc", "x" * 300])
def test_an_unknown_street_board_is_a_localised_404(client, code):
    page = client.get(f"/board/{code}", headers=ZH)
    assert page.status_code == 404 and 'lang="zh' in page.text


def test_board_names_are_escaped(app, client):
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "lianhu"))
        community.set_translation("en", name='<img src=x onerror="alert(1)">')
        community.street.set_translation("en", name="<script>alert(2)</script>")
        db.session.commit()
    add_communities(app, "s-hehua", 0)
    inline = client.get("/", headers=EN).text
    assert "<img src=x" not in inline and "&lt;img src=x" in inline
    add_communities(app, "s-qingshan", BOARD_INLINE_LIMIT)
    streets = client.get("/", headers=EN).text
    assert "<script>alert(2)" not in streets and "&lt;script&gt;alert(2)" in streets


def test_the_kept_board_follows_every_new_response(app, client, survey):
    """The board is rendered once and kept, but the next visitor after a response sees it counted."""
    set_campaign(app, min_count=1)
    with app.app_context():
        lianhu = db.session.scalar(select(Community.id).where(Community.code == "lianhu"))
    before = board_items(client.get("/", headers=EN).text).get(lianhu, "")
    survey.complete("lianhu")
    after = board_items(client.get("/", headers=EN).text)[lianhu]
    counts = recount(app)
    assert f"{counts[lianhu]} participant" in after
    assert after != before


def test_the_kept_board_is_per_language_and_follows_staff_changes(app, client):
    with app.app_context():
        simulate_responses(60, seed=5)
    set_campaign(app, min_count=1)
    english, chinese = client.get("/", headers=EN).text, client.get("/", headers=ZH).text
    assert "participant" in english and "participant" not in chinese
    assert "位" in chinese or "人" in chinese
    # A staff change (a community renamed) shows on the next request, in this process at once.
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "lianhu"))
        community.set_translation("en", name="Renamed Lotus Lake")
        db.session.commit()
    assert "Renamed Lotus Lake" in client.get("/", headers=EN).text


def test_the_kept_page_list_follows_a_publish(app, client):
    from survey.models import Page

    with app.app_context():
        page = db.session.scalars(select(Page).where(Page.is_published.is_(True))).first()
        title = page.tr("title", "en")
    assert title in client.get("/", headers=EN).text
    with app.app_context():
        db.session.get(Page, page.id).is_published = False
        db.session.commit()
    assert title not in client.get("/", headers=EN).text
