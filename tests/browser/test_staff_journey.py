"""A staff member on a phone: log in, write a page and publish it, read it on the public site, open the dashboard."""

import re
import secrets

from playwright.sync_api import expect

from .conftest import shot
from .test_resident_journey import translated

PASSWORD = "a long staff password 42"


def make_staff(app, username, role, **scope):
    from survey.auth.services import create_staff
    from survey.extensions import db

    with app.app_context():
        create_staff(username, PASSWORD, role, **scope)
        db.session.remove()


def log_in(page, username):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action$='/admin/login'] [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/admin/login"))


def test_staff_writes_publishes_and_reads_a_page_then_opens_the_dashboard(phone, live_app):
    username = f"admin-{secrets.token_hex(3)}"
    make_staff(live_app, username, "admin")
    page = phone.new_page()
    log_in(page, username)
    shot(page, "staff-home")

    # A new page, saved as a draft first: residents cannot read it yet.
    page.locator("nav.staff-bar a[href='/admin/pages/']").click()
    expect(page).to_have_url(re.compile(r"/admin/pages/$"))
    page.locator("main a[href='/admin/pages/new']").click()
    slug = f"test-{secrets.token_hex(3)}"
    marker = f"楼道不堆放杂物，消防通道保持畅通（{slug}）。"
    page.locator("#slug").fill(slug)
    page.locator("#title_zh").fill("楼道安全")
    page.locator("#body_zh").fill(f"## 楼道安全\n\n{marker}")
    page.locator("#title_en").fill("Safe stairwells")
    page.locator("#body_en").fill(f"Keep stairwells clear ({slug}).")
    page.locator("form:has(#body_zh) input#submit").click()
    expect(page).to_have_url(re.compile(r"/admin/pages/\d+/edit$"))
    expect(page.locator(".flash")).to_contain_text(translated(live_app, "zh-CN", "Page saved."))
    public = phone.new_page()
    assert public.goto(f"/pages/{slug}").status == 404

    # Edit it: publish, and change the text.
    edited = marker.replace("保持畅通", "时刻保持畅通")
    page.locator("#body_zh").fill(f"## 楼道安全\n\n{edited}")
    page.locator("#is_published").check()
    page.locator("#note").fill("发布")
    shot(page, "staff-page-editor")
    page.locator("form:has(#body_zh) input#submit").click()
    expect(page.locator(".flash")).to_contain_text(translated(live_app, "zh-CN", "Page saved."))

    # The public site shows the new text to residents.
    assert public.goto(f"/pages/{slug}").status == 200
    expect(public.locator("main")).to_contain_text(edited)
    expect(public.locator("h1")).to_have_text("楼道安全")
    shot(public, "staff-published-page")

    # The dashboard: the administrator is sent to the district view.
    page.locator("nav.staff-bar a[href='/admin/dashboard/']").click()
    expect(page).to_have_url(re.compile(r"/admin/dashboard/district"))
    expect(page.locator(".stat-card").first).to_be_visible()
    expect(page.locator("table.ranking")).to_be_visible()
    shot(page, "staff-dashboard")
