"""The site answers: home, health check, survey chooser."""


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
