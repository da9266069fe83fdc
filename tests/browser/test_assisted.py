"""Assisted mode on one shared phone: a community worker switches it on, residents take turns, each is new."""

import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from .conftest import shot
from .test_resident_journey import complete_sections, expect_score, translated
from .test_staff_journey import log_in, make_staff

RESULT_URL = re.compile(r"/survey/result/[0-9a-f]+$")


def participant_cookie(context):
    values = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "participant"]
    return values[0] if values else None


def responses_of(app, tokens):
    """(is_counted, is_assisted, community code) of each stored response of these participant tokens."""
    from survey.extensions import db
    from survey.models import Response
    from survey.questionnaire.services import participant_hash

    with app.app_context():
        rows = db.session.scalars(
            select(Response)
            .where(Response.participant_hash.in_([participant_hash(t) for t in tokens]))
            .order_by(Response.id)
        ).all()
        result = [(row.is_counted, row.is_assisted, row.community.code) for row in rows]
        db.session.remove()
    return result


def audit_actions(app, username):
    from survey.extensions import db
    from survey.models import AuditEntry, StaffUser

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action)
            .join(StaffUser, AuditEntry.staff_id == StaffUser.id)
            .where(StaffUser.username == username, AuditEntry.action.startswith("assisted."))
            .order_by(AuditEntry.id)
        ).all()
        db.session.remove()
    return actions


def test_worker_switches_it_on_and_residents_take_turns(phone, live_app, answer_key):
    username = f"lianhu-{secrets.token_hex(3)}"
    make_staff(live_app, username, "community", community_code="lianhu")
    total = answer_key.knowledge_total
    page = phone.new_page()
    log_in(page, username)
    worker = participant_cookie(phone)

    page.locator("nav.staff-bar a[href='/admin/assisted/']").click()
    expect(page.locator("select[name=community]")).to_have_value("lianhu")
    shot(page, "assisted-switch")
    page.locator("form[action$='/admin/assisted/on'] [type=submit]").click()

    # The phone is on the community's survey entry, with the banner on every page.
    expect(page).to_have_url(re.compile(r"/c/lianhu$"))
    banner = page.locator(".assisted-banner")
    expect(banner).to_contain_text(translated(live_app, "zh-CN", "Assisted mode"))
    expect(banner).to_contain_text("莲湖社区")
    shot(page, "assisted-entry")

    # First resident.
    page.locator("form[action$='/survey/start'] [type=submit]").click()
    complete_sections(page, answer_key)
    expect_score(page, total, total)
    expect(page.locator(".assisted-banner")).to_be_visible()
    first = participant_cookie(phone)
    assert first and first != worker
    shot(page, "assisted-first-result")

    # "Next resident" on the result page: a new participant, not a retake.
    next_button = page.locator("form[action$='/survey/retake'] [type=submit]")
    expect(next_button).to_have_value(translated(live_app, "zh-CN", "Next resident"))
    next_button.click()
    expect(page).to_have_url(re.compile(r"/survey/section/1$"))
    second = participant_cookie(phone)
    assert second not in (first, worker)
    complete_sections(page, answer_key)
    expect_score(page, total, total)
    # Counted as a first attempt: no "practice attempt" line.
    practice = "Practice attempt %(number)d. Only your first attempt counts; practice helps you learn."
    expect(page.locator("main")).not_to_contain_text(translated(live_app, "zh-CN", practice, number=2))
    assert participant_cookie(phone) == second

    assert responses_of(live_app, [first]) == [(True, True, "lianhu")]
    assert responses_of(live_app, [second]) == [(True, True, "lianhu")]

    # The worker switches it off from the banner; the next person is an ordinary, new participant.
    page.locator(".assisted-banner a[href='/admin/assisted/']").click()
    page.locator("form[action$='/admin/assisted/off'] [type=submit]").click()
    expect(page.locator(".assisted-banner")).to_have_count(0)
    assert participant_cookie(phone) not in (first, second, worker)
    assert audit_actions(live_app, username) == ["assisted.on", "assisted.off"]
    page.goto("/c/lianhu")
    expect(page.locator(".assisted-banner")).to_have_count(0)
    shot(page, "assisted-off")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_assisted_mode_pages_pass_axe(phone_factory, live_app, answer_key, locale):
    from .test_accessibility import BLOCKING, axe_scan

    username = f"a11y-assist-{secrets.token_hex(3)}"
    make_staff(live_app, username, "street", street_code="s-hehua")
    # bypass_csp lets the test inject axe-core; the pages themselves are unchanged.
    context = phone_factory(locale, bypass_csp=True)
    page = context.new_page()
    log_in(page, username)
    found = {}
    page.goto("/admin/assisted/")
    found["switch"] = axe_scan(page, False)
    page.locator("select[name=community]").select_option("taoyuan")
    page.locator("form[action$='/admin/assisted/on'] [type=submit]").click()
    expect(page.locator(".assisted-banner")).to_be_visible()
    found["entry-with-banner"] = axe_scan(page, False)
    page.locator("form[action$='/survey/start'] [type=submit]").click()
    expect(page.locator("form.survey-form[data-keeper=on]")).to_have_count(1)
    context.set_offline(True)
    page.locator("#forward").click()
    expect(page.locator("#save-status")).not_to_be_empty()
    found["section-offline"] = axe_scan(page, False)
    context.set_offline(False)
    shot(page, f"assisted-axe-{locale}")
    blocking = {
        label: [
            (v["impact"], v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations if v["impact"] in BLOCKING
        ]
        for label, violations in found.items()
    }
    assert all(not problems for problems in blocking.values()), blocking
