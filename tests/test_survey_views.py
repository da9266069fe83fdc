"""The resident journey through the test client, CSRF protection on."""

import re

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Item, Response
from survey.questionnaire.services import current_version
from tests.conftest import csrf_token, right_answers

EN = {"Accept-Language": "en-US,en;q=0.9"}


def responses(app, *where):
    with app.app_context():
        return db.session.scalars(select(Response).where(*where).order_by(Response.id)).all()


def first_knowledge(app, question_type="single"):
    with app.app_context():
        item = next(i for i in current_version().items if i.is_knowledge and i.question_type == question_type)
        return item.id, item.tr("text", "en"), [(o.id, o.is_correct) for o in item.options]


def test_chooser_lists_communities_by_street(client):
    page = client.get("/survey/", headers=EN)
    assert page.status_code == 200
    assert '<optgroup label="Hehua Subdistrict">' in page.text
    assert "Lianhu Community" in page.text


def test_qr_entry_preselects_the_community(client):
    page = client.get("/c/lianhu", headers=EN)
    assert page.status_code == 200
    assert re.search(r'<option selected value="lianhu">|<option value="lianhu" selected>', page.text)
    assert "You are answering for Lianhu Community" in page.text


def test_unknown_community_code_is_a_localised_404(client):
    for code in ["nowhere", "..%2F..%2Fetc", "x" * 300, "LIANHU'--"]:
        page = client.get(f"/c/{code}")
        assert page.status_code == 404
        assert "页面不存在" in page.text or "找不到" in page.text


def test_sections_show_progress_and_keep_answers_back_and_forth(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    page = client.get("/survey/section/1", headers=EN)
    assert f"0 / {sum(map(len, sections))} answered" in page.text
    assert "<progress" in page.text
    survey.post_section(1, {name: answers[name] for name in sections[0]})
    page = client.get("/survey/section/2", headers=EN)
    assert f"{len(sections[0])} / {sum(map(len, sections))} answered" in page.text
    back = survey.post_section(2, {name: answers[name] for name in sections[1]}, button="back")
    assert back.headers["Location"].endswith("/survey/section/1")
    page = client.get("/survey/section/1")
    for name in sections[0]:
        value = answers[name] if isinstance(answers[name], str) else answers[name][0]
        assert re.search(rf'checked[^>]*value="{value}"|value="{re.escape(value)}"', page.text), name
    page = client.get("/survey/section/2")
    first_of_two = answers[sections[1][0]]
    first_of_two = first_of_two if isinstance(first_of_two, str) else first_of_two[0]
    assert re.search(rf'checked[^>]*value="{first_of_two}"', page.text)


def test_unanswered_required_item_gets_a_message_next_to_it(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    partial = {name: answers[name] for name in sections[0][1:]}
    page = survey.post_section(1, partial)
    assert page.status_code == 422
    missing = sections[0][0]
    assert f'id="{missing}-error"' in page.text
    assert f'aria-describedby="{missing}-error"' in page.text
    assert "请回答这个问题" in page.text


def test_result_page_corrects_knowledge_items_and_thanks_for_opinions(survey, client, app):
    wrong_id, wrong_text, _ = first_knowledge(app)
    done = survey.complete(wrong_item_ids={wrong_id})
    page = client.get(done.headers["Location"], headers=EN)
    assert page.status_code == 200
    with app.app_context():
        version = current_version()
        total = sum(1 for item in version.items if item.is_knowledge)
        wrong = db.session.get(Item, wrong_id)
        correct_label = next(o.tr("label", "en") for o in wrong.options if o.is_correct)
        explanation = wrong.tr("explanation", "en")
        page_slug = wrong.page.slug
    assert f"You answered {total - 1} of {total} knowledge questions correctly." in page.text
    review = page.text.split(f'id="review-{wrong_id}"')[1].split("</article>")[0]
    assert "Not quite" in review and correct_label in review and explanation in review
    assert f"/pages/{page_slug}" in review
    opinions = page.text.split('id="opinion-title"')[1]
    assert "Thank you for your views" in page.text and "Correct answer" not in opinions
    assert "This first attempt counts for Lianhu Community" in page.text


def test_retake_is_practice_and_counts_the_resident_once(survey, client, app):
    first = survey.complete()
    result = client.get(first.headers["Location"])
    retake = client.post("/survey/retake", data={"community": "lianhu", "csrf_token": csrf_token(result.text)})
    assert retake.headers["Location"].endswith("/survey/section/1")
    second = survey.complete()
    page = client.get(second.headers["Location"], headers=EN)
    assert "Practice attempt 2" in page.text
    stored = responses(app)
    assert [r.is_counted for r in stored] == [True, False]
    assert len({r.participant_hash for r in stored}) == 1


def test_another_browser_is_another_participant_and_cannot_read_my_result(survey, client, app):
    done = survey.complete()
    stranger = app.test_client()
    assert stranger.get(done.headers["Location"]).status_code == 404
    SurveyDriver = type(survey)
    SurveyDriver(app, stranger).complete()
    assert [r.is_counted for r in responses(app)] == [True, True]


def test_participant_cookie_is_long_lived_httponly_and_lax(survey, client):
    response = survey.start()
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("participant="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert re.search(r"Max-Age=\d{8}", cookie)


def test_double_tap_on_submit_makes_one_response(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    for number, names in enumerate(sections[:-1], start=1):
        survey.post_section(number, {name: answers[name] for name in names})
    last = len(sections)
    page = client.get(f"/survey/section/{last}")
    payload = {name: answers[name] for name in sections[-1]} | {"csrf_token": csrf_token(page.text), "forward": "x"}
    before = client.get_cookie("session").value
    first = client.post(f"/survey/section/{last}", data=payload)
    client.set_cookie("session", before)  # the second tap was sent with the cookie of the first
    second = client.post(f"/survey/section/{last}", data=payload)
    third = client.post(f"/survey/section/{last}", data=payload)  # a later resend, with the new cookie
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    assert len(responses(app)) == 1


def test_tampered_option_id_is_refused_with_a_message(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    data = {name: answers[name] for name in sections[0]}
    data[sections[0][0]] = "999999"
    page = survey.post_section(1, data)
    assert page.status_code == 422
    assert "请从列出的选项中选择" in page.text
    survey.post_section(1, {name: answers[name] for name in sections[0]})
    assert responses(app) == []


def test_answer_to_a_question_of_another_page_or_version_is_refused(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    data = {name: answers[name] for name in sections[0]} | {"item-987654": "1", sections[1][0]: answers[sections[1][0]]}
    page = survey.post_section(1, data)
    assert page.status_code == 400
    assert "这些答案与本页不符" in page.text


def test_form_without_csrf_token_is_refused(client, app):
    page = client.post("/survey/start", data={"community": "lianhu"})
    assert page.status_code == 400
    assert "表单已过期" in page.text
    assert client.get("/survey/section/1").status_code == 302  # no attempt was started


def test_oversized_body_is_refused(survey, client):
    survey.start()
    page = client.post("/survey/section/1", data={"item-1": "x" * 200_000})
    assert page.status_code == 413
    assert "发送的内容太多" in page.text


def test_section_out_of_range_and_without_attempt(client, survey):
    assert client.get("/survey/section/1").status_code == 302
    survey.start()
    assert client.get("/survey/section/99").status_code == 404
    assert client.get("/survey/section/0").status_code == 404


def test_instant_check_uses_the_same_scoring_as_the_result(survey, client, app):
    page = client.get("/survey/")
    token = csrf_token(page.text)
    item_id, _, options = first_knowledge(app)
    right = next(option_id for option_id, is_correct in options if is_correct)
    wrong = next(option_id for option_id, is_correct in options if not is_correct)
    headers = {"X-CSRFToken": token, **EN}
    ok = client.post("/survey/check", json={"item": item_id, "answer": right}, headers=headers)
    assert ok.status_code == 200 and ok.json["correct"] is True
    bad = client.post("/survey/check", json={"item": item_id, "answer": wrong}, headers=headers)
    assert bad.json["correct"] is False and bad.json["correct_answer"] and bad.json["explanation"]
    assert client.post("/survey/check", json={"item": item_id, "answer": 10**9}, headers=headers).status_code == 400
    assert client.post("/survey/check", json={"item": 987654, "answer": 1}, headers=headers).status_code == 404
    assert client.post("/survey/check", data="not json", headers=headers).status_code == 400
    assert client.post("/survey/check", json={"item": item_id, "answer": right}).status_code == 400  # no CSRF


def test_opinion_items_cannot_be_checked(client, app):
    token = csrf_token(client.get("/survey/").text)
    with app.app_context():
        opinion = next(item for item in current_version().items if item.kind == "opinion")
        option_id = opinion.options[0].id
    response = client.post(
        "/survey/check", json={"item": opinion.id, "answer": option_id}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 404


def test_no_survey_published_is_explained(client, app):
    with app.app_context():
        version = current_version()
        version.status = "retired"
        db.session.commit()
    page = client.get("/survey/", headers=EN)
    assert "The survey is not open yet" in page.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_chooser_starts_on_the_placeholder_and_requires_a_community(client):
    page = client.get("/survey/", headers=EN)
    first_option = re.search(r"<option[^>]*>", page.text.split('name="community"')[1]).group(0)
    assert 'value=""' in first_option  # the browser shows "Choose…", not a community chosen for the resident
    response = client.post("/survey/start", headers=EN, data={"community": "", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 422
    assert "Please choose your community." in response.text
    assert client.get("/survey/section/1").status_code == 302
