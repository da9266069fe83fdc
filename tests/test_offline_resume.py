"""The server's side of answers that survive a weak network: resends make one response, the script's own
POSTs get the next address without using up its message, and the pages carry what the script needs."""

import re

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response

from .conftest import csrf_token, right_answers


def response_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def answer_all_but_last(survey, app):
    survey.start()
    answers, sections = right_answers(app)
    for number, names in enumerate(sections[:-1], start=1):
        assert survey.post_section(number, {name: answers[name] for name in names}).status_code == 302
    return {name: answers[name] for name in sections[-1]}, len(sections)


def test_a_final_submission_that_reaches_the_server_twice_makes_one_response(app, client, survey):
    last, number = answer_all_but_last(survey, app)
    page = client.get(f"/survey/section/{number}")
    payload = dict(last, csrf_token=csrf_token(page.text), forward="x")
    # The phone sent the answers but never heard back: it still holds the session cookie from before.
    before = client.get_cookie("session").value
    first = client.post(f"/survey/section/{number}", data=payload)
    assert first.status_code == 302 and "/survey/result/" in first.location
    client.set_cookie("session", before)
    again = client.post(f"/survey/section/{number}", data=payload)
    assert again.status_code == 302 and again.location == first.location
    assert response_count(app) == 1
    # A third copy arriving after the phone did hear back (a double tap): still the same single response.
    third = client.post(f"/survey/section/{number}", data=payload)
    assert third.status_code == 302 and third.location == first.location
    assert response_count(app) == 1
    assert client.get(first.location).status_code == 200


def test_the_scripts_post_gets_the_next_address_instead_of_a_redirect(app, client, survey):
    survey.start()
    answers, sections = right_answers(app)
    page = client.get("/survey/section/1")
    payload = {name: answers[name] for name in sections[0]}
    payload.update(csrf_token=csrf_token(page.text), forward="x")
    response = client.post("/survey/section/1", data=payload, headers={"X-Survey-Fetch": "1"})
    assert response.status_code == 204
    assert response.headers["X-Survey-Location"] == "/survey/section/2"
    assert "Location" not in response.headers
    # A plain form post (no script) is still redirected as before.
    plain = client.post("/survey/section/1", data=payload)
    assert plain.status_code == 302 and plain.location == "/survey/section/2"


def test_the_message_for_the_next_page_is_kept_for_the_browsers_own_visit(app, client, survey):
    client.get("/language/en")
    survey.start()
    answers, sections = right_answers(app)
    number = len(sections)
    # The last part posted before the first ones were answered: the server sends the resident back to part 1.
    page = client.get(f"/survey/section/{number}")
    payload = {name: answers[name] for name in sections[-1]}
    payload.update(csrf_token=csrf_token(page.text), forward="x")
    response = client.post(f"/survey/section/{number}", data=payload, headers={"X-Survey-Fetch": "1"})
    assert response.status_code == 204 and response.headers["X-Survey-Location"] == "/survey/section/1"
    assert "Some questions still need an answer." in client.get("/survey/section/1").text
    assert response_count(app) == 0


def test_a_validation_error_is_sent_back_as_a_page_to_the_script(app, client, survey):
    survey.start()
    page = client.get("/survey/section/1")
    response = client.post(
        "/survey/section/1", data={"csrf_token": csrf_token(page.text), "forward": "x"}, headers={"X-Survey-Fetch": "1"}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "X-Survey-Location" not in response.headers


def test_section_pages_carry_the_attempt_keys_and_the_status_line(app, client, survey):
    client.get("/language/en")
    survey.start()
    with client.session_transaction() as session:
        attempt = session["attempt"]
    page = client.get("/survey/section/1").text
    form = re.search(r'<form[^>]*class="survey-form"[^>]*>', page, re.S).group(0)
    assert f'data-attempt="{attempt["id"]}"' in form
    assert f'data-version="{attempt["version"]}"' in form
    assert 'data-word-offline="No network. Your answers are saved on this phone and will be sent automatically' in form
    assert re.search(r'<p class="save-status" id="save-status" role="status" aria-live="polite"></p>', page)
    assert "/static/js/survey.js" in page


def test_coming_back_to_the_survey_resumes_the_part_the_resident_was_on(app, client, survey):
    survey.start()
    answers, sections = right_answers(app)
    for number in (1, 2):
        survey.post_section(number, {name: answers[name] for name in sections[number - 1]})
    client.get("/survey/section/3")
    assert 'href="/survey/section/3"' in client.get("/survey/").text
    assert 'href="/survey/section/3"' in client.get("/").text


def test_the_result_page_tells_the_script_which_saved_answers_to_forget(app, client, survey):
    result = client.get(survey.complete().location)
    public_id = result.request.path.rsplit("/", 1)[-1]
    assert f'data-finished-attempt="{public_id}"' in result.text
    assert "/static/js/survey.js" in result.text
