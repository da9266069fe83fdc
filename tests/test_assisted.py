"""Assisted mode: a community worker's shared phone, one fresh anonymous participant per completed survey."""

import json

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEntry, Community, Response, StaffUser

from .conftest import csrf_token

BANNER = 'class="assisted-banner"'


def banner(html):
    """The assisted-mode banner's markup, or "" when the page has none."""
    start = html.find(BANNER)
    return html[start : html.find("</div>", start)] if start != -1 else ""


def switch_on(client, community_code="lianhu"):
    page = client.get("/admin/assisted/")
    return client.post("/admin/assisted/on", data={"community": community_code, "csrf_token": csrf_token(page.text)})


def switch_off(client):
    page = client.get("/admin/assisted/")
    return client.post("/admin/assisted/off", data={"csrf_token": csrf_token(page.text)})


def participant(client):
    cookie = client.get_cookie("participant")
    return cookie.value if cookie else None


def stored_responses(app):
    with app.app_context():
        rows = db.session.scalars(select(Response).order_by(Response.id)).all()
        return [(row.participant_hash, row.is_counted, row.is_assisted, row.community.code) for row in rows]


def audit_entries(app, action):
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [(entry.staff.username, entry.target_type, json.loads(entry.detail)) for entry in entries]


def test_staff_switches_it_on_and_each_resident_is_new_and_assisted(app, client, auth, survey):
    auth.as_role("community")
    client.get("/language/en")  # before switching on: the confirmation is written in the reader's language
    survey.complete("lianhu")  # the worker's own try: not assisted
    own = participant(client)

    response = switch_on(client)
    assert response.status_code == 302 and response.location.endswith("/c/lianhu")
    assert client.get_cookie("assisted") is not None
    assert participant(client) != own  # the first resident does not inherit the worker's participant
    assert audit_entries(app, "assisted.on") == [("community", "community", {"community": "lianhu"})]
    entry = client.get("/c/lianhu")
    assert BANNER in entry.text and "Assisted mode is on for this phone" in entry.text

    survey.complete("lianhu")
    first = participant(client)
    assert BANNER in client.get("/").text  # every page shows the banner
    survey.complete("lianhu")
    second = participant(client)
    assert len({own, first, second}) == 3

    rows = stored_responses(app)
    assert [(counted, assisted, code) for _, counted, assisted, code in rows] == [
        (True, False, "lianhu"),
        (True, True, "lianhu"),
        (True, True, "lianhu"),
    ]
    assert len({hashed for hashed, *_ in rows}) == 3  # three participants, none a retake

    # Dashboards and the API count them as participants and show how many were assisted.
    data = client.get("/api/v1/communities/lianhu/stats").get_json()
    assert data["community"]["participants"] == 3 and data["community"]["assisted"] == 2
    assert data["street"]["assisted"] == 2 and data["district"]["assisted"] == 2
    page = client.get("/admin/dashboard/community/lianhu?lang=en")
    assert page.status_code == 200
    assert "Helped by staff in assisted mode: 2" in page.text

    # Switching off: audited, banner gone, the next survey is an ordinary one of a new participant.
    response = switch_off(client)
    assert response.status_code == 302
    assert client.get_cookie("assisted") is None
    assert audit_entries(app, "assisted.off") == [("community", "community", {"community": "lianhu"})]
    assert BANNER not in client.get("/").text
    survey.complete("lianhu")
    assert participant(client) not in (own, first, second)
    assert stored_responses(app)[-1][1:] == (True, False, "lianhu")


def test_the_result_page_offers_the_next_resident_not_a_retake(app, client, auth, survey):
    auth.as_role("community")
    client.get("/language/en")
    switch_on(client)
    result = client.get(survey.complete("lianhu").location)
    assert result.status_code == 200
    assert 'value="Next resident"' in result.text and "Take it again" not in result.text
    first = participant(client)
    # The button posts to the retake address; in assisted mode that starts a new resident.
    response = client.post("/survey/retake", data={"community": "lianhu", "csrf_token": csrf_token(result.text)})
    assert response.status_code == 302
    assert participant(client) != first
    # The previous resident's result is no longer linked from this phone.
    assert "/survey/result/" not in client.get("/").text


def test_a_resident_cannot_switch_it_on(app, client):
    page = client.get("/survey/")
    response = client.post("/admin/assisted/on", data={"community": "lianhu", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and "/admin/login" in response.location
    assert client.get_cookie("assisted") is None
    assert client.get("/admin/assisted/").status_code == 302


def test_an_editor_cannot_switch_it_on(app, client, auth):
    auth.as_role("editor")
    assert client.get("/admin/assisted/").status_code == 403
    page = client.get("/admin/")
    response = client.post("/admin/assisted/on", data={"community": "lianhu", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 403
    assert client.get_cookie("assisted") is None


@pytest.mark.parametrize(
    "role, community_code", [("community", "taoyuan"), ("community", "songlin"), ("street", "songlin")]
)
def test_staff_cannot_switch_it_on_outside_their_scope(app, client, auth, role, community_code):
    auth.as_role(role)
    response = switch_on(client, community_code)
    assert response.status_code == 403
    assert client.get_cookie("assisted") is None
    assert audit_entries(app, "assisted.on") == []


def test_street_staff_may_switch_it_on_for_a_community_of_their_street(app, client, auth):
    auth.as_role("street")
    page = client.get("/admin/assisted/")
    assert 'value="taoyuan"' in page.text and 'value="songlin"' not in page.text  # only their communities offered
    assert switch_on(client, "taoyuan").status_code == 302
    client.get("/language/en")
    assert "Taoyuan Community" in banner(client.get("/").text)


def test_switching_on_needs_the_csrf_token(app, client, auth):
    auth.as_role("community")
    response = client.post("/admin/assisted/on", data={"community": "lianhu"})
    assert response.status_code == 400
    assert client.get_cookie("assisted") is None
    assert audit_entries(app, "assisted.on") == []


def test_unknown_or_missing_community_is_refused(app, client, auth):
    auth.as_role("admin")
    assert switch_on(client, "").status_code == 422
    assert switch_on(client, "nowhere").status_code == 404
    assert client.get_cookie("assisted") is None


def test_a_forged_or_revoked_cookie_does_nothing(app, client, auth, make_staff, survey):
    client.set_cookie("assisted", "not-a-signed-value")
    assert BANNER not in client.get("/").text
    survey.complete("lianhu")
    assert stored_responses(app)[-1][2] is False

    auth.as_role("community")
    switch_on(client)
    assert BANNER in client.get("/").text
    with app.app_context():  # an administrator disables the account: its assisted mode ends too
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "community"))
        staff.is_active = False
        db.session.commit()
    assert BANNER not in client.get("/survey/").text


def test_the_community_chosen_is_preselected_in_the_survey(app, client, auth):
    auth.as_role("admin")
    switch_on(client, "binhe")
    page = client.get("/survey/")
    assert '<option selected value="binhe">' in page.text or 'value="binhe" selected' in page.text
    with app.app_context():
        assert db.session.scalar(select(Community.code).where(Community.code == "binhe")) == "binhe"
