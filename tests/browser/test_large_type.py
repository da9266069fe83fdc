"""Large text and high contrast on a phone: the header toggles, text that really grows, a choice that survives
navigation and reloads; no sideways scrolling at 320 px; 44 px tap targets; a visible keyboard focus."""

import re

import pytest
from playwright.sync_api import expect

from .a11y import (
    MIN_TARGET,
    answer_all,
    ensure_dashboard_data,
    ensure_staff,
    first_page_slug,
    font_size,
    forward,
    forward_with_errors,
    horizontal_overflow,
    log_in,
    press_toggle,
    small_targets,
    start_survey,
    translated,
    walk_survey,
)
from .conftest import LOCALES, shot

STAFF = "a11y-display"


def root_classes(page):
    return page.locator("html").get_attribute("class") or ""


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_large_text_grows_the_text_and_is_remembered(phone_factory, live_app, answer_key, javascript):
    context = phone_factory("zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/")
    body_before, heading_before = font_size(page), font_size(page, "h1")
    assert body_before >= 16

    button = page.get_by_role("button", name=translated(live_app, "zh-CN", "Large text"))
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\btext-large\b"))
    expect(button).to_have_attribute("aria-pressed", "true")
    assert font_size(page) >= body_before * 1.2
    assert font_size(page, "h1") >= heading_before * 1.2
    large_body = font_size(page)

    # It stays on through the survey, a reload and a staff page.
    start_survey(page)
    assert "text-large" in root_classes(page)
    assert font_size(page, ".question legend") >= 1.2 * 17
    answer_all(page, answer_key.sections[0])
    forward(page, re.compile(r"/survey/section/2$"))
    page.reload()
    assert "text-large" in root_classes(page)
    assert font_size(page) == large_body
    page.goto("/admin/login")
    assert "text-large" in root_classes(page)

    # And it switches off the same way.
    page.goto("/")
    page.get_by_role("button", name=translated(live_app, "zh-CN", "Large text")).click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\btext-large\b"))
    assert font_size(page) == body_before


def test_switching_with_javascript_keeps_what_was_typed(phone, answer_key):
    """prefs.js switches without a reload, so answers on the page are not lost (and breaks no CSP rule)."""
    page = phone.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    start_survey(page)
    items = answer_key.sections[0]
    answer_all(page, items)
    press_toggle(page, "large")
    press_toggle(page, "contrast")
    assert "text-large" in root_classes(page) and "contrast-high" in root_classes(page)
    checked = page.locator("fieldset.question input:checked").count()
    assert checked >= len([item for item in items if item.question_type != "fillin"])
    page.reload()
    assert "text-large" in root_classes(page) and "contrast-high" in root_classes(page)
    assert [text for text in console if "Content Security Policy" in text] == []


def test_high_contrast_darkens_the_page(phone):
    page = phone.new_page()
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    press_toggle(page, "contrast")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)" != background
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"


def visit_main_pages(page, live_app, answer_key, visit):
    """Call ``visit(label)`` on each main page: home, publicity page, choose, every part, result, login, dashboards."""
    page.goto("/")
    visit("home")
    page.goto(f"/pages/{first_page_slug(live_app)}")
    visit("publicity-page")
    page.goto("/survey/")
    visit("choose")
    start_survey(page)
    walk_survey(page, answer_key, lambda number: visit(f"section-{number}"))
    visit("result")
    page.goto("/admin/login")
    visit("login")
    log_in(page, STAFF)
    page.goto("/admin/dashboard/community/lianhu")
    visit("community-dashboard")
    page.goto("/admin/dashboard/district")
    visit("district-dashboard")


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_no_sideways_scrolling_at_320px(phone_factory, live_server, live_app, answer_key, locale, large):
    ensure_dashboard_data(live_server)
    ensure_staff(live_app, STAFF)
    page = phone_factory(locale, viewport={"width": 320, "height": 640}).new_page()
    page.goto("/")
    if large:
        press_toggle(page, "large")
    overflowing = {}
    tag = f"320-{locale}-{'large' if large else 'normal'}"

    def visit(label):
        # On a phone an over-wide page also widens the layout viewport (innerWidth > 320): both count.
        found = horizontal_overflow(page, 320)
        if found["extra"] > 0:
            overflowing[label] = found
        if label in ("home", "section-1", "result", "community-dashboard"):
            shot(page, f"{tag}-{label}")

    visit_main_pages(page, live_app, answer_key, visit)
    assert overflowing == {}


@pytest.mark.parametrize(("width", "large"), [(390, False), (390, True), (320, True)])
def test_tap_targets_on_the_survey_are_at_least_44px(phone_factory, answer_key, width, large):
    page = phone_factory("en-US", viewport={"width": width, "height": 800}).new_page()
    page.goto("/")
    if large:
        press_toggle(page, "large")
    start_survey(page)
    forward_with_errors(page)  # with the error messages shown too
    assert small_targets(page) == []

    def check(number):
        too_small = small_targets(page)
        assert too_small == [], f"part {number} at {width}px: targets under {MIN_TARGET}px: {too_small}"
        if number == 1:
            shot(page, f"survey-{width}-{'large' if large else 'normal'}")

    walk_survey(page, answer_key, check)
    assert small_targets(page) == []  # the result page


def test_keyboard_reaches_everything_with_a_visible_focus(phone_factory, answer_key):
    """Tab through part 1: skip link first, then the header, each option, the buttons; every stop shows a ring."""
    context = phone_factory("zh-CN", has_touch=False, is_mobile=False)
    page = context.new_page()
    start_survey(page)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))

    page.goto(page.url.split("#")[0])
    stops = []
    for _ in range(80):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
              const el = document.activeElement;
              const ring = el.matches('.option input') ? el.closest('label') : el;
              const style = getComputedStyle(ring);
              return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, name: el.name || '',
                      outline: parseFloat(style.outlineWidth) || 0, outlineStyle: style.outlineStyle};
            }"""
        )
        stops.append(info)
        if info["id"] == "forward":
            break
    assert stops[-1]["id"] == "forward", f"Tab never reached the Next button: {stops}"
    invisible = [stop for stop in stops if stop["outline"] < 2 or stop["outlineStyle"] == "none"]
    assert invisible == []
    names = [stop["name"] for stop in stops]
    assert {"large", "contrast"} <= set(names)  # the display toggles are in the tab order
    # One stop per question (a radio group is one stop), in the order of the page.
    item_names = [item.name for item in answer_key.sections[0]]
    visited = [name for name in dict.fromkeys(names) if name.startswith("item-")]
    assert visited == item_names

    # Answer a single-choice question with the keyboard alone.
    first = next(item for item in answer_key.sections[0] if item.question_type in ("single", "truefalse"))
    page.locator(f"fieldset.question[data-item='{first.id}'] input").first.focus()
    page.keyboard.press("Space")
    expect(page.locator(f"fieldset.question[data-item='{first.id}'] input").first).to_be_checked()


def test_dashboard_in_high_contrast(phone_factory, live_server, live_app):
    ensure_dashboard_data(live_server)
    ensure_staff(live_app, STAFF)
    page = phone_factory("zh-CN").new_page()
    log_in(page, STAFF)
    page.goto("/admin/dashboard/community/lianhu")
    press_toggle(page, "contrast")
    assert "contrast-high" in root_classes(page)
    svg = page.locator("svg.chart-svg").first
    expect(svg).to_have_attribute("role", "img")
    assert svg.evaluate("el => el.querySelector('desc').textContent.trim().length") > 10
    shot(page, "dashboard-community-contrast")
    page.goto("/admin/dashboard/district")
    shot(page, "dashboard-district-contrast")
    press_toggle(page, "large")
    shot(page, "dashboard-district-contrast-large")


def test_a_phone_asking_for_more_contrast_gets_it_until_switched_off(phone_factory):
    """With no choice made, the device's "more contrast" setting applies; the toggle shows it and turns it off."""
    page = phone_factory("en-US", contrast="more").new_page()
    page.goto("/")
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    toggle = page.locator("header button[data-setting=contrast]")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bcontrast-normal\b"))
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(0, 0, 0)"
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(0, 0, 0)"
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_error_summary_links_to_each_question_left_out(phone, answer_key):
    """A part sent with questions left out: the summary is announced and links to each one, below the sticky bar."""
    page = phone.new_page()
    start_survey(page)
    forward_with_errors(page)
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    marked = page.locator("fieldset.question.has-error")
    links = summary.locator("a")
    expect(links).to_have_count(marked.count())
    assert marked.count() >= 1
    for index in range(marked.count()):
        fieldset = marked.nth(index)
        expect(links.nth(index)).to_have_attribute("href", f"#{fieldset.get_attribute('id')}")
        error_id = fieldset.get_attribute("aria-describedby")
        expect(page.locator(f"#{error_id}")).to_be_visible()
    last = marked.nth(marked.count() - 1)
    links.nth(marked.count() - 1).click()
    expect(page).to_have_url(re.compile(rf"#{last.get_attribute('id')}$"))
    bar_bottom = page.locator(".progress-block").evaluate("el => el.getBoundingClientRect().bottom")
    assert last.evaluate("el => el.getBoundingClientRect().top") >= bar_bottom - 1
