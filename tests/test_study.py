"""The study page (应知应会): knowledge items with answers, explanations and pages, in each language, printable."""

from pathlib import Path

from sqlalchemy import select, update

from survey.bank import services as bank
from survey.extensions import db
from survey.models import Page, QuestionnaireVersion
from survey.questionnaire.services import current_version

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
STATIC = Path(__file__).resolve().parent.parent / "survey" / "static"


def main_part(html):
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_study_page_in_chinese_has_questions_answers_and_explanations(client, app):
    page = client.get("/study", headers=ZH)
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    text = main_part(page.text)
    assert "全国文明城市称号由哪个机构评选命名？" in text
    assert "中央精神文明建设指导委员会" in text
    assert "每三年一届" in text and "每年一届" not in text  # only the correct option
    assert "全国文明城市每三年评选表彰一届" in text  # the explanation
    assert 'href="http://localhost/pages/why-campaign"' in text
    assert "创建基本知识" in text  # grouped under the section (topic) title
    assert "您是否支持青川区创建全国文明城市？" not in text  # opinion items are not study material
    # Fill-in answers in the reader's own language.
    assert "填空：富强、民主、____、和谐" in text and "<strong>文明</strong>" in text
    assert "civility" not in text


def test_study_page_in_english(client):
    text = main_part(client.get("/study", headers=EN).text)
    assert "Which body selects and confers the National Civilized City title?" in text
    assert "The Central Guidance Commission on Building Spiritual Civilization" in text
    assert "Every three years" in text
    assert "Campaign basics" in text
    assert "civility" in text and "<strong>文明" not in text
    assert "全国文明城市" not in text


def test_every_knowledge_item_is_listed_once_in_order(client, app):
    text = main_part(client.get("/study", headers=EN).text)
    with app.app_context():
        knowledge = [item for item in current_version().items if item.is_knowledge]
        numbered = [f'<span class="study-number">{number}.</span>' for number in range(1, len(knowledge) + 1)]
    assert all(text.count(marker) == 1 for marker in numbered)
    assert f'<span class="study-number">{len(knowledge) + 1}.</span>' not in text
    assert text.count('class="study-item"') == len(knowledge)


def test_unpublished_pages_are_not_linked(client, app):
    with app.app_context():
        db.session.execute(update(Page).where(Page.slug == "why-campaign").values(is_published=False))
        db.session.commit()
    text = main_part(client.get("/study", headers=EN).text)
    assert "/pages/why-campaign" not in text
    assert "/pages/core-values" in text


def test_study_page_follows_the_published_version(client, app):
    with app.test_request_context(headers=EN):
        draft = bank.open_draft()
        item = next(item for item in draft.items if item.is_knowledge and item.question_type == "single")
        content = bank.ItemContent(
            kind="knowledge",
            question_type="single",
            texts={"zh": "新版本的问题？", "en": "A question of the new version?"},
            explanations={"zh": "因为如此。", "en": "Because it is so."},
            options=[
                bank.OptionContent({"zh": "对的答案", "en": "The right one"}, is_correct=True),
                bank.OptionContent({"zh": "错的答案", "en": "The wrong one"}),
            ],
        )
        bank.update_item(item, content)
        before = main_part(client.get("/study", headers=EN).text)
        bank.publish_version(draft)
    assert "A question of the new version?" not in before
    text = main_part(client.get("/study", headers=EN).text)
    assert "A question of the new version?" in text and "The right one" in text and "The wrong one" not in text


def test_study_page_without_a_published_version(client, app):
    with app.app_context():
        db.session.execute(update(QuestionnaireVersion).values(status="retired"))
        db.session.commit()
        assert (
            db.session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.status == "published")).first()
            is None
        )
    page = client.get("/study", headers=EN)
    assert page.status_code == 200
    assert "The questions are being prepared" in page.text


def test_study_page_prints_on_a4_and_needs_no_inline_code(client):
    page = client.get("/study", headers=EN)
    assert "/static/css/study.css" in page.text
    assert "style=" not in page.text and "<script>" not in page.text
    css = (STATIC / "css" / "study.css").read_text()
    assert "@media print" in css and "size: A4" in css and "margin: 15mm" in css
    assert "break-inside: avoid" in css and ".site-header" in css and ".site-footer" in css


def test_home_page_links_to_the_study_page(client):
    assert 'href="/study"' in client.get("/", headers=EN).text
