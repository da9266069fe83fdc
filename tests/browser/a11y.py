"""Helpers shared by the accessibility and large-type browser tests: walking the survey, staff login,
the display toggles, and measurements made inside the page (overflow, tap targets, font size)."""

import re

from playwright.sync_api import expect

COMMUNITY = "lianhu"
STAFF_PASSWORD = "a11y pass phrase 2026"
# Tap targets: WCAG 2.5.5 (AAA) and both phone platforms' guidelines ask for 44 × 44 CSS px.
MIN_TARGET = 44


def translated(app, locale, message):
    """``message`` in the app's translation for a browser sending ``Accept-Language: locale``."""
    from flask_babel import gettext

    with app.test_request_context(headers={"Accept-Language": locale}):
        return gettext(message)


def ensure_staff(app, username, role="district"):
    """A staff account on the live server's database (created once per session)."""
    from sqlalchemy import select

    from survey.auth.services import create_staff
    from survey.extensions import db
    from survey.models import StaffUser

    with app.app_context():
        if db.session.scalar(select(StaffUser).where(StaffUser.username == username)) is None:
            create_staff(username, STAFF_PASSWORD, role)
        db.session.remove()
    return username


def ensure_dashboard_data(live_server):
    """Enough synthetic responses that the dashboards show rates, charts and a coloured heat map."""
    if getattr(live_server, "has_a11y_data", False):
        return
    from survey.demo import simulate_responses
    from survey.extensions import db

    with live_server.app.app_context():
        simulate_responses(400, seed=11, days=20)
        db.session.remove()
    live_server.has_a11y_data = True


def first_page_slug(app):
    """The slug of the first published publicity page."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Page

    with app.app_context():
        slug = db.session.scalar(select(Page.slug).where(Page.is_published.is_(True)).order_by(Page.position))
        db.session.remove()
    return slug


def answer_all(page, items):
    """Answer the items on the current section page: right answers, the first option of opinion items."""
    for item in items:
        fieldset = page.locator(f"fieldset.question[data-item='{item.id}']")
        if item.question_type == "fillin":
            fieldset.locator("input[type=text]").fill(item.fill_text)
            continue
        chosen = set(item.correct_ids) if item.is_knowledge else {item.option_ids[0]}
        for option in item.option_ids:
            box = fieldset.locator(f"input[value='{option}']")
            if item.question_type == "multiple":
                box.set_checked(option in chosen)
            elif option in chosen:
                box.check()


def start_survey(page, community=COMMUNITY):
    """Choose the community and start; lands on part 1."""
    page.goto(f"/c/{community}")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/survey/section/1$"))


RESULT_URL = re.compile(r"/survey/result/[0-9a-f]+$")


def forward(page, expect_url=None):
    """Press Next (or Send); with ``expect_url``, wait until that page has loaded.

    (survey.js sends the form with fetch: a page with errors is written into the document, not navigated to.)
    """
    page.locator("#forward").click()
    if expect_url is not None:
        expect(page).to_have_url(expect_url)
        page.wait_for_load_state()


def forward_with_errors(page):
    """Press Next with questions unanswered: the part comes back with its errors marked."""
    page.locator("#forward").click()
    expect(page.locator("#error-summary")).to_be_visible()
    page.wait_for_load_state()


def walk_survey(page, key, visit=None):
    """From part 1, call ``visit(number)`` on each part, answer it and go on; ends on the result page."""
    count = len(key.sections)
    for number, items in enumerate(key.sections, start=1):
        expect(page).to_have_url(re.compile(rf"/survey/section/{number}$"))
        if visit is not None:
            visit(number)
        answer_all(page, items)
        forward(page, re.compile(rf"/survey/section/{number + 1}$") if number < count else RESULT_URL)


def log_in(page, username):
    """Log in through the staff login form."""
    page.goto("/admin/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(STAFF_PASSWORD)
    page.locator("main [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/admin/login"))


def press_toggle(page, setting):
    """Press a display toggle in the header ("large" or "contrast") and wait until the page shows it."""
    button = page.locator(f"header button[data-setting={setting}]")
    was = button.get_attribute("aria-pressed")
    button.click()
    expect(page.locator(f"header button[data-setting={setting}]")).not_to_have_attribute("aria-pressed", was)


def font_size(page, selector="body"):
    """The computed font size of the first element matching ``selector``, in CSS px."""
    return page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")


def horizontal_overflow(page, width):
    """How far the page is wider than ``width`` px (0 when there is no horizontal scrolling), and the culprits."""
    return page.evaluate(
        """(width) => {
          const extra = Math.max(document.documentElement.scrollWidth, window.innerWidth) - width;
          const culprits = [];
          if (extra > 0) {
            for (const el of document.querySelectorAll('body *')) {
              const box = el.getBoundingClientRect();
              if (box.right > width + 1 && !el.closest('.table-wrap')) {
                culprits.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
                              ' right=' + Math.round(box.right));
              }
            }
          }
          return {extra: extra, culprits: culprits.slice(0, 8)};
        }""",
        width,
    )


def small_targets(page, minimum=MIN_TARGET):
    """Interactive elements smaller than ``minimum`` × ``minimum`` px (a radio or checkbox is measured by its label).

    Links inside running text are exempt, as WCAG 2.5.8 allows; hidden elements and the skip link
    (off-screen until focused) are not targets.
    """
    return page.evaluate(
        """(minimum) => {
          const found = [];
          const seen = new Set();
          const selector = 'a[href], button, select, textarea, summary, input:not([type=hidden])';
          for (let el of document.querySelectorAll(selector)) {
            if (el.classList.contains('skip-link')) continue;
            if (el.matches('input[type=radio], input[type=checkbox]')) el = el.closest('label') || el;
            if (seen.has(el)) continue;
            seen.add(el);
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || style.display === 'none') continue;
            const box = el.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;
            const inText = el.tagName === 'A' && el.parentElement &&
              el.parentElement.matches('p, li, dd, td') && style.display === 'inline' &&
              el.parentElement.textContent.trim().length > el.textContent.trim().length + 10;
            if (inText) continue;
            if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
              found.push(el.tagName.toLowerCase() + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) +
                         '" ' + Math.round(box.width) + 'x' + Math.round(box.height));
            }
          }
          return found;
        }""",
        minimum,
    )
