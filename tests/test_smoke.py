"""The site answers: home, health check, survey chooser."""

import re


def test_home_page_invites_to_the_survey(client):
    response = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert "/survey/" in response.text


def test_healthz_reports_ok_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["questionnaire_version"] == 1


def test_full_survey_reaches_the_result_page(survey, client):
    response = survey.complete()
    assert "/survey/result/" in response.headers["Location"]
    result = client.get(response.headers["Location"])
    assert result.status_code == 200


def test_every_page_names_the_sites_icon_and_the_browsers_default_address_serves_it(client):
    page = client.get("/")
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page.text)
    assert icon, "the home page names no icon"
    for address in (icon.group(1), "/favicon.ico"):  # where WeChat's and other browsers look without the page
        with client.get(address) as answer:
            assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
            assert b"<svg" in answer.data
