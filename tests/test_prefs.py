"""Large text and high contrast: the header's toggles, the display cookie and the classes on <html>."""

import re

import pytest

from survey.public import prefs

from .conftest import csrf_token

HTML_TAG = re.compile(r"<html[^>]*>")


def html_tag(response):
    return HTML_TAG.search(response.text).group(0)


def toggle(html, setting):
    """The header's toggle button for ``setting`` ("large" or "contrast")."""
    match = re.search(rf'<button[^>]*data-setting="{setting}"[^>]*>', html, re.S)
    assert match, f"no {setting} toggle on the page"
    return match.group(0)


def switch(client, setting, value, page="/", **extra):
    """Press a toggle the way a browser without JavaScript does: post the header form."""
    html = client.get(page).text
    data = {"csrf_token": csrf_token(html), "next": page, setting: value}
    return client.post("/prefs", data=data, **extra)


@pytest.mark.parametrize("path", ["/", "/survey/", "/privacy", "/admin/login", "/pages/no-such-page"])
def test_every_page_has_both_toggles_unpressed_by_default(client, path):
    response = client.get(path)
    assert 'action="/prefs"' in response.text
    for setting in ("large", "contrast"):
        button = toggle(response.text, setting)
        assert 'aria-pressed="false"' in button and 'value="on"' in button
    assert "class=" not in html_tag(response)


def test_toggles_are_labelled_in_the_visitors_language(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN"}).text
    en = client.get("/", headers={"Accept-Language": "en"}).text
    assert "Large text" in en and "High contrast" in en
    assert 'lang="en"' in en and 'lang="zh-Hans"' in zh


def test_large_text_is_remembered_and_rendered_on_every_page(client):
    response = switch(client, "large", "on", page="/privacy")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/privacy")
    cookie = client.get_cookie(prefs.COOKIE)
    assert cookie is not None and cookie.value == "large=on"
    assert cookie.http_only and cookie.same_site == "Lax"
    for path in ("/", "/survey/", "/admin/login"):
        page = client.get(path)
        assert "text-large" in html_tag(page)
        button = toggle(page.text, "large")
        assert 'aria-pressed="true"' in button and 'value="off"' in button


def test_settings_combine_and_switch_off_independently(client):
    switch(client, "large", "on")
    switch(client, "contrast", "on")
    assert html_tag(client.get("/")).count("text-large") == 1
    assert "contrast-high" in html_tag(client.get("/"))
    switch(client, "large", "off")
    tag = html_tag(client.get("/"))
    assert "text-large" not in tag and "contrast-high" in tag
    switch(client, "contrast", "off")
    # An explicit "off" is remembered, so the device's own "more contrast" setting no longer applies.
    assert "contrast-normal" in html_tag(client.get("/"))
    assert client.get_cookie(prefs.COOKIE).value == "large=off&contrast=off"


def test_posting_the_same_choice_twice_keeps_it(client):
    switch(client, "large", "on")
    switch(client, "large", "on")
    assert "text-large" in html_tag(client.get("/"))


def test_javascript_gets_the_new_state_as_json(client):
    response = switch(client, "contrast", "on", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json == {"large": False, "contrast": True, "classes": "contrast-high"}
    assert client.get_cookie(prefs.COOKIE).value == "contrast=on"


def test_without_a_csrf_token_nothing_is_saved(client):
    response = client.post("/prefs", data={"large": "on", "next": "/"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert client.get_cookie(prefs.COOKIE) is None


def test_a_bad_value_is_refused_with_a_localised_page(client):
    html = client.get("/").text
    response = client.post(
        "/prefs", data={"csrf_token": csrf_token(html), "large": "huge"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "Something in the request was not right" in response.text
    assert client.get_cookie(prefs.COOKIE) is None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "", "survey"])
def test_the_redirect_never_leaves_the_site(client, target):
    html = client.get("/").text
    response = client.post("/prefs", data={"csrf_token": csrf_token(html), "large": "on", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_tampered_cookie_is_ignored(client):
    client.set_cookie(prefs.COOKIE, "large=maybe&contrast=on&admin=on&" + "x" * 500)
    tag = html_tag(client.get("/"))
    assert "text-large" not in tag and "contrast-high" in tag


def test_the_survey_section_keeps_the_toggles(survey, client):
    survey.start()
    page = client.get("/survey/section/1")
    assert page.status_code == 200
    toggle(page.text, "large")
    assert 'value="/survey/section/1"' in page.text


def test_privacy_page_mentions_the_display_cookie(client):
    text = client.get("/privacy", headers={"Accept-Language": "en"}).text
    assert "text size and contrast" in text


@pytest.mark.parametrize("path", ["/admin/login", "/survey/"])
def test_the_header_form_adds_no_duplicate_ids(client, path):
    ids = re.findall(r'\sid="([^"]+)"', client.get(path).text)
    assert len(ids) == len(set(ids)), sorted({value for value in ids if ids.count(value) > 1})
