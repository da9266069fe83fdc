"""Campaign settings, the home-page countdown's source, and the audit log."""

from datetime import timedelta

from sqlalchemy import select

from survey.campaign import days_to_inspection, get_campaign
from survey.extensions import db
from survey.localtime import today
from survey.models import AuditEntry
from tests.conftest import csrf_token

EN = {"Accept-Language": "en"}


def test_settings_are_saved_and_audited(auth, client, app):
    auth.as_role("admin")
    page = client.get("/admin/settings", headers=EN)
    with app.app_context():
        day = (today() + timedelta(days=30)).isoformat()  # the district's today, as the countdown counts
    response = client.post(
        "/admin/settings",
        data={
            "site_name_zh": "测试区创文问卷",
            "site_name_en": "Test District Survey",
            "inspection_date": day,
            "default_target_share": "25",
            "min_count": "8",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        campaign = get_campaign()
        assert campaign.tr("site_name", "en") == "Test District Survey"
        assert campaign.default_target_share == 0.25 and campaign.min_count == 8
        assert days_to_inspection(campaign) == 30
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.update"))
        assert entry.staff.username == "admin" and "Test District Survey" in entry.detail
    assert "测试区创文问卷" in client.get("/", headers={"Accept-Language": "zh-CN"}).text


def test_settings_refuse_bad_values_without_saving(auth, client, app):
    auth.as_role("admin")
    page = client.get("/admin/settings", headers=EN)
    response = client.post(
        "/admin/settings",
        headers=EN,
        data={
            "site_name_zh": "",
            "site_name_en": "x",
            "inspection_date": "not a date",
            "default_target_share": "500",
            "min_count": "-1",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 422
    assert "Enter a whole number from 1 to 100." in response.text
    with app.app_context():
        assert get_campaign().default_target_share == 0.2
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.update")) is None


def test_audit_log_lists_and_filters_changes(auth, client, app, make_staff):
    make_staff("editor")
    auth.as_role("admin")
    page = client.get("/admin/audit", headers=EN)
    assert page.status_code == 200
    assert "staff.create" in page.text and "staff.login" in page.text
    only_logins = client.get("/admin/audit?action=staff.login", headers=EN)
    assert "staff.create</code>" not in only_logins.text and "staff.login</code>" in only_logins.text
    by_editor = client.get("/admin/audit?staff=editor", headers=EN)
    assert "1 entry" in by_editor.text or "entries" in by_editor.text
    with app.app_context():
        tomorrow = (today() + timedelta(days=1)).isoformat()  # the district's days, as the filter reads them
    future = client.get(f"/admin/audit?since={tomorrow}", headers=EN)
    assert "Nothing recorded yet." in future.text
    for query in ["?page=-1", "?page=abc", "?since=2026-13-45", "?action=%27%20OR%201=1", "?page=99999999999"]:
        assert client.get("/admin/audit" + query).status_code == 200
