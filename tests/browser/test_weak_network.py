"""Answers survive a weak network: kept on the phone as the resident goes, resent when the connection returns.

The phone goes offline with Playwright's ``context.set_offline``; the database is checked for exactly one
response of the phone's participant once it is back online.
"""

import re

from playwright.sync_api import expect

from .conftest import shot
from .test_resident_journey import (
    answer_item,
    expect_answered,
    expect_score,
    expect_section_page,
    open_home,
    participant_responses,
    start_survey,
    translated,
)

OFFLINE_MESSAGE = (
    "No network. Your answers are saved on this phone and will be sent automatically when the network is back."
)
RESTORED_MESSAGE = "Your answers on this page were restored from this phone."
RESULT_URL = re.compile(r"/survey/result/[0-9a-f]+$")


def saved_attempts(page):
    """How many attempts the phone keeps in localStorage."""
    return page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('civic-survey:')).length")


def go_offline(context, page):
    """Cut the phone's network once the survey script is ready to keep what is sent."""
    expect(page.locator("form.survey-form[data-keeper=on]")).to_have_count(1)
    context.set_offline(True)


def answer_up_to_last_part(page, key):
    """Answer and send every part but the last; answer the last one without sending it."""
    for number, items in enumerate(key.sections[:-1], start=1):
        expect_section_page(page, number, items)
        for item in items:
            answer_item(page, item)
        page.locator("#forward").click()
    expect_section_page(page, len(key.sections), key.sections[-1])
    for item in key.sections[-1]:
        answer_item(page, item)


def test_submission_while_offline_is_kept_and_arrives_once(phone, live_app, answer_key):
    page = phone.new_page()
    total = answer_key.knowledge_total
    open_home(page, "zh-CN")
    start_survey(page)
    answer_up_to_last_part(page, answer_key)

    go_offline(phone, page)
    page.locator("#forward").click()
    status = page.locator("#save-status")
    expect(status).to_have_text(translated(live_app, "zh-CN", OFFLINE_MESSAGE))
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page).to_have_url(re.compile(rf"/survey/section/{len(answer_key.sections)}$"))
    shot(page, "weak-network-offline")
    # Still on the phone: nothing reached the server, the page keeps the answers and the submission.
    assert participant_responses(phone, live_app) == []
    assert saved_attempts(page) == 1
    # A retry while still offline changes nothing.
    page.wait_for_timeout(2500)
    assert participant_responses(phone, live_app) == []

    phone.set_offline(False)
    expect(page).to_have_url(RESULT_URL)
    expect_score(page, total, total)
    shot(page, "weak-network-result")
    assert participant_responses(phone, live_app) == [(1, True, total, total)]
    # Acknowledged: the phone forgets the answers it was keeping.
    assert saved_attempts(page) == 0
    # Later retries (a timer, another "online" event) cannot make a second response.
    phone.set_offline(True)
    phone.set_offline(False)
    page.wait_for_timeout(1000)
    assert participant_responses(phone, live_app) == [(1, True, total, total)]


def test_a_submission_kept_in_a_closed_tab_is_sent_when_the_survey_is_opened_again(phone, live_app, answer_key):
    page = phone.new_page()
    total = answer_key.knowledge_total
    open_home(page, "zh-CN")
    start_survey(page)
    answer_up_to_last_part(page, answer_key)
    go_offline(phone, page)
    page.locator("#forward").click()
    expect(page.locator("#save-status")).to_have_text(translated(live_app, "zh-CN", OFFLINE_MESSAGE))
    page.close()

    phone.set_offline(False)
    page = phone.new_page()
    page.goto("/survey/")
    page.locator("main a[href^='/survey/section/']").first.click()
    expect(page).to_have_url(RESULT_URL)
    expect_score(page, total, total)
    assert participant_responses(phone, live_app) == [(1, True, total, total)]


def test_a_reload_or_a_closed_tab_keeps_the_answers(phone_factory, live_app, answer_key):
    phone = phone_factory("en-US")
    page = phone.new_page()
    first, second = answer_key.sections[0], answer_key.sections[1]
    open_home(page, "en-US")
    start_survey(page)
    for item in first:
        answer_item(page, item)
    # Nothing sent yet: the answers are only on the phone.
    page.reload()
    expect_section_page(page, 1, first)
    for item in first:
        expect_answered(page, item)
    expect(page.locator("#save-status")).to_have_text(translated(live_app, "en-US", RESTORED_MESSAGE))
    shot(page, "weak-network-reload-restored")

    page.locator("#forward").click()
    expect_section_page(page, 2, second)
    answer_item(page, second[0])
    page.close()

    # The tab was closed on part 2: the survey's entry offers to continue there, with the answer still ticked.
    page = phone.new_page()
    page.goto("/survey/")
    page.locator("main a[href='/survey/section/2']").click()
    expect_section_page(page, 2, second)
    expect_answered(page, second[0])
    for item in second[1:]:
        answer_item(page, item)

    # Offline on the way to part 3: kept, then sent by itself when the network is back.
    go_offline(phone, page)
    page.locator("#forward").click()
    expect(page.locator("#save-status")).to_have_text(translated(live_app, "en-US", OFFLINE_MESSAGE))
    phone.set_offline(False)
    expect_section_page(page, 3, answer_key.sections[2])
    page.locator("#back").click()
    expect_section_page(page, 2, second)
    for item in second:
        expect_answered(page, item)


def test_a_part_sent_with_a_question_left_out_shows_the_servers_messages(phone_factory, live_app, answer_key):
    page = phone_factory("en-US").new_page()
    first = answer_key.sections[0]
    open_home(page, "en-US")
    start_survey(page)
    for item in first[1:]:
        answer_item(page, item)
    page.locator("#forward").click()
    # The server's page comes back in place (same address), with its messages and the script working again.
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(f"fieldset.question[data-item='{first[0].id}'] .error")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/survey/section/1$"))
    knowledge = sum(1 for item in first if item.is_knowledge)
    expect(page.locator(".check-button")).to_have_count(knowledge)
    for item in first[1:]:
        expect_answered(page, item)
    shot(page, "weak-network-validation")
    answer_item(page, first[0])
    page.locator("#forward").click()
    expect_section_page(page, 2, answer_key.sections[1])
