"""A resident on a phone, in Chinese and in English: home → community → every section → result → retake.

The right answers come from the live app's database (see ``answer_key`` in conftest); one knowledge
item is answered wrong on purpose so the result page must score and correct it.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from .conftest import LOCALES, shot

COMMUNITY = "lianhu"
BOTH_LOCALES = pytest.mark.parametrize("locale", list(LOCALES))
PRACTICE_MESSAGE = "Practice attempt %(number)d. Only your first attempt counts; practice helps you learn."


# ---------------------------------------------------------------- helpers


def app_locale(locale):
    """The app's locale code ("zh", "en") for a browser locale ("zh-CN", "en-US")."""
    return LOCALES[locale][0]


def translated(app, locale, message, **variables):
    """``message`` as the app translates it for a browser sending ``Accept-Language: locale``."""
    from flask_babel import gettext

    with app.test_request_context(headers={"Accept-Language": locale}):
        return gettext(message, **variables)


def chosen_options(item, wrong):
    """Option ids to tick for an item: the correct set (or a wrong one), or the first option of an opinion item."""
    if not item.is_knowledge:
        return {item.option_ids[0]}
    correct = set(item.correct_ids)
    if not wrong:
        return correct
    if item.question_type == "multiple":
        return set(item.option_ids) - correct or {item.option_ids[0]}
    return {next(option for option in item.option_ids if option not in correct)}


def question(page, item):
    return page.locator(f"fieldset.question[data-item='{item.id}']")


def answer_item(page, item, wrong=False):
    """Answer one item through its inputs, as a resident would tap them."""
    fieldset = question(page, item)
    expect(fieldset).to_have_attribute("data-type", item.question_type)
    if item.question_type == "fillin":
        fieldset.locator(f"input[type=text][name='{item.name}']").fill("不对 wrong" if wrong else item.fill_text)
        return
    chosen = chosen_options(item, wrong)
    for option in item.option_ids:
        box = fieldset.locator(f"input[value='{option}']")
        if item.question_type == "multiple":
            box.set_checked(option in chosen)
        elif option in chosen:
            box.check()


def expect_answered(page, item, wrong=False):
    """The inputs of an item show the answer given earlier."""
    fieldset = question(page, item)
    if item.question_type == "fillin":
        expect(fieldset.locator("input[type=text]")).to_have_value("不对 wrong" if wrong else item.fill_text)
        return
    chosen = chosen_options(item, wrong)
    for option in item.option_ids:
        box = fieldset.locator(f"input[value='{option}']")
        (expect(box).to_be_checked if option in chosen else expect(box).not_to_be_checked)()


def expect_section_page(page, number, items):
    """A section page: its URL, the progress text and bar, and exactly the expected questions."""
    expect(page).to_have_url(re.compile(rf"/survey/section/{number}$"))
    expect(page.locator("#progress-label")).to_be_visible()
    expect(page.locator("progress")).to_have_count(1)
    expect(page.locator("fieldset.question")).to_have_count(len(items))
    knowledge = [item for item in items if item.is_knowledge]
    expect(page.locator("fieldset.question.knowledge")).to_have_count(len(knowledge))


def open_home(page, locale):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", LOCALES[locale][1])


def start_survey(page, community=COMMUNITY):
    """From the home page: the main call to action, then choose the community and start."""
    page.locator("main a[href='/survey/']").first.click()
    expect(page).to_have_url(re.compile(r"/survey/$"))
    page.locator("select[name=community]").select_option(community)
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/survey/section/1$"))


def complete_sections(page, key, wrong_ids=(), screenshot_prefix=None):
    """Answer every section and go forward until the result page."""
    for number, items in enumerate(key.sections, start=1):
        expect_section_page(page, number, items)
        for item in items:
            answer_item(page, item, wrong=item.id in wrong_ids)
        if screenshot_prefix:
            shot(page, f"{screenshot_prefix}-section-{number}")
        page.locator("#forward").click()
    expect(page).to_have_url(re.compile(r"/survey/result/[0-9a-f]+$"))


def expect_score(page, correct, total):
    expect(page.locator(".score")).to_contain_text(re.compile(rf"(?<!\d){correct}\s*/\s*{total}(?!\d)"))
    expect(page.locator("main")).to_contain_text(f"/ {total}")


def participant_responses(context, app):
    """The stored responses of this browser's participant, oldest first."""
    from survey.extensions import db
    from survey.models import Response
    from survey.questionnaire.services import participant_hash

    tokens = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "participant"]
    assert len(tokens) == 1, "the browser holds no participant cookie"
    with app.app_context():
        hashed = participant_hash(tokens[0])
        rows = db.session.scalars(
            select(Response).where(Response.participant_hash == hashed).order_by(Response.attempt_number)
        ).all()
        result = [(row.attempt_number, row.is_counted, row.knowledge_correct, row.knowledge_total) for row in rows]
        db.session.remove()
    return result


# ---------------------------------------------------------------- tests


@BOTH_LOCALES
def test_resident_answers_sees_corrections_and_retakes(phone_factory, live_app, answer_key, locale):
    context = phone_factory(locale)
    page = context.new_page()
    tag = f"journey-{locale}"
    wrong = answer_key.first_wrongable()
    total = answer_key.knowledge_total

    open_home(page, locale)
    shot(page, f"{tag}-home")
    start_survey(page)
    complete_sections(page, answer_key, wrong_ids={wrong.id}, screenshot_prefix=tag)

    # The result: one knowledge item short of full marks, and that item corrected.
    expect(page.locator("html")).to_have_attribute("lang", LOCALES[locale][1])
    expect_score(page, total - 1, total)
    expect(page.locator("article.review")).to_have_count(total)
    expect(page.locator("article.review.is-wrong")).to_have_count(1)
    review = page.locator(f"#review-{wrong.id}")
    expect(review).to_have_class(re.compile(r"\bis-wrong\b"))
    for label in wrong.correct_labels[app_locale(locale)]:
        expect(review.locator(".correct-answer")).to_contain_text(label)
    shot(page, f"{tag}-result")
    assert participant_responses(context, live_app) == [(1, True, total - 1, total)]

    # Retake: all right this time; it is a practice attempt and only the first one counts.
    page.locator("form[action$='/survey/retake'] [type=submit]").click()
    complete_sections(page, answer_key)
    expect_score(page, total, total)
    expect(page.locator("article.review.is-wrong")).to_have_count(0)
    practice = translated(live_app, locale, PRACTICE_MESSAGE, number=2)
    expect(page.locator("main")).to_contain_text(practice)
    shot(page, f"{tag}-retake-result")
    assert participant_responses(context, live_app) == [(1, True, total - 1, total), (2, False, total, total)]


def test_back_keeps_the_answers(phone, answer_key):
    page = phone.new_page()
    first, second = answer_key.sections[0], answer_key.sections[1]
    open_home(page, "zh-CN")
    start_survey(page)
    for item in first:
        answer_item(page, item)
    page.locator("#forward").click()
    expect_section_page(page, 2, second)
    expect(page.locator("#back")).to_be_visible()
    answer_item(page, second[0])

    page.locator("#back").click()
    expect_section_page(page, 1, first)
    expect(page.locator("#back")).to_have_count(0)
    for item in first:
        expect_answered(page, item)

    # What was answered on section 2 before going back is kept too.
    page.locator("#forward").click()
    expect_section_page(page, 2, second)
    expect_answered(page, second[0])


@BOTH_LOCALES
def test_instant_check_shows_the_correct_answer(phone_factory, live_app, answer_key, locale):
    page = phone_factory(locale).new_page()
    wrong = answer_key.first_wrongable()
    section = next(number for number, items in enumerate(answer_key.sections, start=1) if wrong in items)
    open_home(page, locale)
    start_survey(page)
    for number in range(1, section):
        for item in answer_key.sections[number - 1]:
            answer_item(page, item)
        page.locator("#forward").click()
    expect_section_page(page, section, answer_key.sections[section - 1])

    fieldset = question(page, wrong)
    button = fieldset.locator(".check-button")
    expect(button).to_have_text(translated(live_app, locale, "Check my answer"))
    answer_item(page, wrong, wrong=True)
    button.click()
    verdict = fieldset.locator(".check-result.is-wrong")
    expect(verdict).to_be_visible()
    for label in wrong.correct_labels[app_locale(locale)]:
        expect(verdict).to_contain_text(label)
    shot(page, f"instant-check-{locale}")

    answer_item(page, wrong)
    button.click()
    expect(fieldset.locator(".check-result.is-correct")).to_be_visible()
    expect(fieldset.locator(".check-result.is-wrong")).to_have_count(0)


@BOTH_LOCALES
def test_survey_works_without_javascript(phone_factory, answer_key, locale):
    page = phone_factory(locale, java_script_enabled=False).new_page()
    total = answer_key.knowledge_total
    open_home(page, locale)
    start_survey(page)
    expect(page.locator(".check-button")).to_have_count(0)
    complete_sections(page, answer_key)
    expect_score(page, total, total)
    shot(page, f"no-js-{locale}-result")
