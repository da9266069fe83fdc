"""The survey part page from the cache is the page the form and templates render, for every answer state.

The questions are rendered once per part and language and filled in per request, and so is the page
around them (survey.questionnaire.render); these tests render the same pages with the caches switched
off — WTForms and the macro for every question, Jinja for the page — and compare the text.
"""

import random
import re

import pytest
from flask import g
from werkzeug.datastructures import MultiDict

from survey.extensions import db
from survey.public.prefs import DisplayForm, hidden_fields
from survey.questionnaire import render
from survey.questionnaire.forms import field_name, section_form, valid_answers
from survey.questionnaire.structure import current_view
from tests.conftest import csrf_token, right_answers

LANGUAGES = {"zh": {"Accept-Language": "zh-CN,zh;q=0.9"}, "en": {"Accept-Language": "en-US,en;q=0.9"}}
DISPLAYS = ["", "large=on&contrast=on", "large=off&contrast=off"]
TOKEN_RE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+(")')


def _masked(html):
    """The page with its CSRF tokens (signed with the time, so different on every request) blanked."""
    return TOKEN_RE.sub(r"\1-\2", html)


def _caches_off(monkeypatch):
    """Render every part through WTForms and Jinja, as before the caches."""
    monkeypatch.setattr(render, "_build", lambda *args: None)
    monkeypatch.setattr(render, "page_key", lambda number: None)


def _clear_caches(app):
    with app.test_request_context():
        view = current_view()
        view.markup.clear()
        view.pages.clear()


def _answer_states(app):
    """Saved answers to set through the session: none, every question answered, awkward values."""
    with app.test_request_context():
        view = current_view()
        rng = random.Random(5)
        full, awkward = {}, {}
        for item in view.items:
            ids = [option.id for option in item.options]
            if item.question_type == "fillin":
                full[item.id] = "答案 answer"
                awkward[item.id] = '<b class="x">&\'"</b> 你好'
            elif item.question_type == "multiple":
                full[item.id] = sorted(rng.sample(ids, rng.randint(1, len(ids))))
                awkward[item.id] = ids
            else:
                full[item.id] = rng.choice(ids)
                awkward[item.id] = str(ids[-1])  # a string, as a hand-edited session could hold
        return {"none": {}, "full": full, "awkward": awkward}, len(view.sections)


def _set_answers(client, answers):
    with client.session_transaction() as session:
        attempt = session["attempt"]
        attempt["answers"] = {str(item_id): value for item_id, value in answers.items()}
        session["attempt"] = attempt


def _pages(app, client, monkeypatch, cached):
    states, part_count = _answer_states(app)
    pages = {}
    with monkeypatch.context() as patch:
        if not cached:
            _caches_off(patch)
        for state, answers in states.items():
            _set_answers(client, answers)
            for language, headers in LANGUAGES.items():
                for display in DISPLAYS:
                    client.set_cookie("display", display) if display else client.delete_cookie("display")
                    for number in range(1, part_count + 1):
                        page = client.get(f"/survey/section/{number}", headers=headers)
                        assert page.status_code == 200
                        pages[state, language, display, number] = _masked(page.text)
    return pages


def test_cached_pages_equal_the_pages_rendered_by_the_form(survey, client, app, monkeypatch):
    survey.start()
    rendered = _pages(app, client, monkeypatch, cached=False)
    _clear_caches(app)
    first = _pages(app, client, monkeypatch, cached=True)  # each page: rendered once, then from the cache
    again = _pages(app, client, monkeypatch, cached=True)
    for key, page in rendered.items():
        assert first[key] == page, key
        assert again[key] == page, key
    with app.test_request_context():
        view = current_view()
        assert view.markup and all(part is not None for part in view.markup.values())
        assert view.pages and all(page is not None for page in view.pages.values())


def test_saved_answers_show_as_checked_options_and_filled_boxes(survey, client, app):
    survey.start()
    states, _ = _answer_states(app)
    _set_answers(client, states["full"])
    with app.test_request_context():
        first_part = current_view().sections[0]
    for _ in range(2):  # rendered, then from the cache
        text = client.get("/survey/section/1", headers=LANGUAGES["en"]).text
        assert text.count('name="csrf_token"') == 2 and "csrfQ7vStandIn" not in text
        for item in first_part.items:
            name, saved = field_name(item), states["full"][item.id]
            if item.question_type == "fillin":
                assert f'name="{name}" required type="text" value="答案 answer"' in text
                continue
            chosen = saved if isinstance(saved, list) else [saved]
            for index, option in enumerate(item.options):
                tag = re.search(rf'<input (checked )?id="{name}-{index}"[^>]*>', text)
                assert tag and f'value="{option.id}"' in tag.group(0)
                assert tag.group(0).startswith("<input checked ") == (option.id in chosen)
            assert f'id="q-{item.id}"' in text and "<legend>" in text


def test_awkward_fill_in_answer_is_escaped(survey, client, app):
    survey.start()
    states, part_count = _answer_states(app)
    _set_answers(client, states["awkward"])
    texts = [client.get(f"/survey/section/{number}").text for number in range(1, part_count + 1)] * 2
    assert any('value="&lt;b class=&#34;x&#34;&gt;&amp;&#39;&#34;&lt;/b&gt; 你好"' in text for text in texts)
    assert not any('<b class="x">' in text for text in texts)


def test_errors_still_come_from_the_form(survey, client, app):
    survey.start()
    client.get("/survey/section/1")  # fills the caches
    page = client.get("/survey/section/1", headers=LANGUAGES["en"])
    response = client.post(
        "/survey/section/1", data={"csrf_token": csrf_token(page.text), "forward": "x"}, headers=LANGUAGES["en"]
    )
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'aria-invalid="true"' in response.text
    assert "Please answer this question." in response.text
    assert response.text.count('name="csrf_token"') == 2


def test_the_page_cache_leaves_out_flashes_and_query_strings(survey, client, app):
    survey.start()  # the redirect flashed nothing; the page is cached
    client.get("/survey/section/1")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A one-off message")]
    assert "A one-off message" in client.get("/survey/section/1").text
    assert "A one-off message" not in client.get("/survey/section/1").text
    page = client.get("/survey/section/1?from=poster")
    assert 'id="display-next" name="next" type="hidden" value="/survey/section/1?from=poster"' in page.text
    assert (
        'id="display-next" name="next" type="hidden" value="/survey/section/1"' in client.get("/survey/section/1").text
    )


def test_display_form_fields_are_the_forms_own_markup(app):
    with app.test_request_context("/survey/section/1?a=<b>"):
        form = DisplayForm(formdata=None)
        expected = (
            f"{form.csrf_token(id='display-csrf-token')}\n"
            f"        {form.next(id='display-next', value='/survey/section/1?a=<b>')}"
        )
        assert str(hidden_fields("/survey/section/1?a=<b>")) == expected


def _form_answers(app, section, formdata, number, is_last):
    """What the section form itself makes of ``formdata``: its answers if valid, else None."""
    with app.test_request_context("/", method="POST", data=formdata):
        g.csrf_valid = True  # as after the app-wide CSRF check
        form = section_form(section, number == 1, is_last, cache=None)
        if not form.validate():
            return None
        return {item.id: form[field_name(item)].data or None for item in section.items}


@pytest.mark.parametrize("seed", range(3))
def test_plainly_valid_answers_are_read_as_the_form_reads_them(app, seed):
    rng = random.Random(seed)
    with app.test_request_context():
        view = current_view()
    odd_values = ["", " ", "0", "-1", "abc", "9999999", " 1", "1_0", "１", "x" * 101, "ok"]
    agreed = 0
    for number, section in enumerate(view.sections, start=1):
        is_last = number == len(view.sections)
        for _ in range(60):
            formdata = MultiDict()
            for item in section.items:
                ids = [str(option.id) for option in item.options]
                roll = rng.random()
                if roll < 0.15:
                    continue  # left out
                if item.question_type == "fillin":
                    values = [rng.choice(["答案", " padded ", "y" * 100] + odd_values)]
                elif item.question_type == "multiple":
                    values = rng.sample(ids, rng.randint(1, len(ids)))
                    if roll < 0.3:
                        values.append(rng.choice(odd_values))
                else:
                    values = [rng.choice(ids) if roll > 0.3 else rng.choice(odd_values)]
                    if roll > 0.9:
                        values.append(rng.choice(ids))
                for value in values:
                    formdata.add(field_name(item), value)
            quick = valid_answers(section, formdata)
            by_form = _form_answers(app, section, formdata, number, is_last)
            if quick is not None:
                assert quick == by_form, (formdata, quick, by_form)
                agreed += 1
    assert agreed > 20  # the quick path was really taken


def test_final_submission_through_the_quick_path_stores_the_answers(survey, client, app):
    from sqlalchemy import select

    from survey.models import Response

    response = survey.complete()
    assert response.status_code == 302 and "/survey/result/" in response.headers["Location"]
    with app.app_context():
        stored = db.session.scalars(select(Response)).all()
        assert len(stored) == 1 and stored[0].knowledge_correct == stored[0].knowledge_total


def test_without_the_app_wide_check_the_form_still_checks_the_token(survey, client, app):
    survey.start()
    answers, sections = right_answers(app)
    part = {name: answers[name] for name in sections[0]}
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # the quick path must not skip the form's own check then
    assert client.post("/survey/section/1", data={**part, "forward": "x"}).status_code == 400
    token = csrf_token(client.get("/survey/section/1").text)
    assert client.post("/survey/section/1", data={**part, "forward": "x", "csrf_token": token}).status_code == 302


def test_nothing_is_cached_while_templates_reload(survey, client, app):
    app.jinja_env.auto_reload = True  # as with TEMPLATES_AUTO_RELOAD or debug mode: template edits show at once
    survey.start()
    _clear_caches(app)
    assert client.get("/survey/section/1").status_code == 200
    with app.test_request_context():
        assert not current_view().markup and not current_view().pages
