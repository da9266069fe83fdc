"""The question bank: drafts, item and section edits, validation, publishing, read-only versions, access."""

import pytest
from sqlalchemy import select

from survey.bank import services as bank
from survey.extensions import db
from survey.models import AuditEntry, Item, Page, QuestionnaireVersion, Section
from survey.questionnaire import services as questionnaire
from survey.questionnaire.services import VersionFrozen, current_version
from tests.conftest import csrf_token

EN = {"Accept-Language": "en"}
BASE = "/admin/questionnaire"


@pytest.fixture
def version(app, ctx):
    """The published demo version, inside an English request (service messages are translated)."""
    with app.test_request_context(headers=EN):
        yield current_version()


def knowledge_content(**overrides):
    """A complete single-choice knowledge item."""
    values = {
        "kind": "knowledge",
        "question_type": "single",
        "texts": {"zh": "垃圾分为几类？", "en": "How many kinds of waste are there?"},
        "explanations": {"zh": "四类。", "en": "Four kinds."},
        "options": [
            bank.OptionContent({"zh": "四类", "en": "Four"}, is_correct=True),
            bank.OptionContent({"zh": "两类", "en": "Two"}),
        ],
    }
    values.update(overrides)
    return bank.ItemContent(**values)


def draft_id(app):
    with app.app_context():
        return bank.open_draft().id


def item_form(item, **changes):
    """Form data reproducing an item as the editor would post it, with ``changes``."""
    data = {
        "section": str(item.section_id),
        "kind": item.kind,
        "question_type": item.question_type,
        "metric": item.metric or "",
        "page": str(item.page_id or ""),
        "text_zh": item.tr("text", "zh"),
        "text_en": item.tr("text", "en"),
        "explanation_zh": item.tr("explanation", "zh"),
        "explanation_en": item.tr("explanation", "en"),
        "accepted_answers": "\n".join(answer.text for answer in item.accepted_answers),
    }
    if item.is_required:
        data["is_required"] = "y"
    for index, option in enumerate(item.options):
        data[f"options-{index}-label_zh"] = option.tr("label", "zh")
        data[f"options-{index}-label_en"] = option.tr("label", "en")
        if option.is_correct:
            data[f"options-{index}-is_correct"] = "y"
        if option.is_positive:
            data[f"options-{index}-is_positive"] = "y"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client, path, data=None, page=None):
    """POST with the CSRF token of ``page`` (default: the bank index)."""
    token = csrf_token(client.get(page or f"{BASE}/").text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


# --- services -------------------------------------------------------------------------------------------


def test_copy_is_a_deep_copy_with_the_next_number(version):
    draft = bank.open_draft()
    assert (draft.number, draft.status, draft.published_at) == (version.number + 1, "draft", None)
    assert len(draft.sections) == len(version.sections)
    for old_section, new_section in zip(version.sections, draft.sections, strict=True):
        assert new_section.id != old_section.id
        assert new_section.tr("title", "en") == old_section.tr("title", "en")
        assert new_section.tr("title", "zh") == old_section.tr("title", "zh")
    assert len(draft.items) == len(version.items)
    for old, new in zip(version.items, draft.items, strict=True):
        assert new.id != old.id and new.version_id == draft.id and new.section.version_id == draft.id
        assert bank.item_snapshot(new) == bank.item_snapshot(old)
        assert [o.id for o in new.options if o.id in {p.id for p in old.options}] == []
    assert any(item.page_id for item in draft.items) and any(item.accepted_answers for item in draft.items)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.draft_open")).one()
    assert entry.target_id == str(draft.id)
    # Residents still get the published version.
    assert current_version().id == version.id


def test_only_one_draft_at_a_time(version):
    draft = bank.open_draft()
    with pytest.raises(bank.DraftExists) as raised:
        bank.open_draft()
    assert raised.value.draft.id == draft.id


def test_edit_add_remove_and_reorder_items(version):
    draft = bank.open_draft()
    section = bank.layout(draft)[1][0]
    added = bank.add_item(section, knowledge_content())
    numbers = bank.item_numbers(draft)
    assert bank.layout(draft)[1][1][-1].id == added.id
    assert sorted(numbers.values()) == list(range(1, len(draft.items) + 1))
    assert [item.id for item in draft.items] == [i.id for _s, items in bank.layout(draft) for i in items]

    bank.update_item(added, knowledge_content(texts={"zh": "新题", "en": "New text"}, metric=None))
    assert added.tr("text", "en") == "New text"

    position = numbers[added.id]
    bank.move_item(added, "up")
    assert bank.item_numbers(draft)[added.id] == position - 1
    bank.move_item(added, "down")
    assert bank.item_numbers(draft)[added.id] == position

    # Past the start of its section an item joins the end of the previous section.
    first_of_second = bank.layout(draft)[1][1][0]
    bank.move_item(first_of_second, "up")
    assert first_of_second.section_id == bank.layout(draft)[0][0].id
    assert [item.id for item in draft.items] == [i.id for _s, items in bank.layout(draft) for i in items]

    count = len(draft.items)
    bank.delete_item(added)
    db.session.expire_all()
    assert len(draft.items) == count - 1 and db.session.get(Item, added.id) is None
    assert [item.position for item in draft.items] == list(range(1, count))
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "questionnaire.item_add",
        "questionnaire.item_update",
        "questionnaire.item_move",
        "questionnaire.item_delete",
    } <= actions


def test_sections_are_added_renamed_moved_and_removed_when_empty(version):
    draft = bank.open_draft()
    section = bank.add_section(draft, {"zh": "新部分", "en": "New part"})
    assert bank.layout(draft)[-1][0].id == section.id
    bank.update_section(section, {"zh": "改名", "en": "Renamed"})
    assert section.tr("title", "en") == "Renamed"
    bank.move_section(section, "up")
    assert bank.layout(draft)[-2][0].id == section.id
    assert [item.id for item in draft.items] == [i.id for _s, items in bank.layout(draft) for i in items]
    with pytest.raises(bank.BankError):
        bank.delete_section(bank.layout(draft)[0][0])
    bank.delete_section(section)
    assert section.id not in [s.id for s in draft.sections]


def test_content_the_database_cannot_hold_is_refused(version):
    draft = bank.open_draft()
    section = draft.sections[0]
    for bad in [
        knowledge_content(metric="support"),
        knowledge_content(kind="opinion", question_type="fillin", options=[]),
        knowledge_content(question_type="fillin"),
        knowledge_content(kind="opinion"),
        knowledge_content(accepted_answers=["x"]),
        knowledge_content(page_id=999_999),
    ]:
        with pytest.raises(bank.InvalidContent):
            bank.add_item(section, bad)
        db.session.rollback()


def test_a_new_true_false_item_gets_its_two_options(version):
    draft = bank.open_draft()
    item = bank.add_item(draft.sections[0], knowledge_content(question_type="truefalse", options=[]))
    assert [option.tr("label", "en") for option in item.options] == ["True", "False"]
    assert "a knowledge question needs a correct answer" in map(str, bank.item_problems(item))


def problems_of(draft):
    return [str(problem) for problem in bank.validate_version(draft)]


def test_the_demo_version_is_valid(version):
    assert bank.validate_version(version) == []


def test_validation_names_every_problem_with_its_item_number(version, app):
    draft = bank.open_draft()
    rows = bank.layout(draft)
    numbers = bank.item_numbers(draft)
    items = [item for _s, items in rows for item in items]

    def of_type(kind, question_type, metric=...):
        return next(
            item
            for item in items
            if item.kind == kind
            and item.question_type == question_type
            and (metric is ... or (item.metric is not None) == metric)
        )

    single = of_type("knowledge", "single")
    bank.update_item(
        single,
        knowledge_content(
            options=[bank.OptionContent({"zh": "甲", "en": "A"}), bank.OptionContent({"zh": "乙", "en": "B"})]
        ),
    )
    multiple = of_type("knowledge", "multiple")
    bank.update_item(
        multiple,
        knowledge_content(
            question_type="multiple", options=[bank.OptionContent({"zh": "甲", "en": "A"}, is_correct=True)]
        ),
    )
    fillin = of_type("knowledge", "fillin")
    bank.update_item(fillin, knowledge_content(question_type="fillin", options=[], accepted_answers=[]))
    truefalse = of_type("knowledge", "truefalse")
    bank.update_item(
        truefalse,
        knowledge_content(
            question_type="truefalse",
            texts={"zh": "判断"},
            options=[
                bank.OptionContent({"zh": "对", "en": "True"}, is_correct=True),
                bank.OptionContent({"zh": "错"}, is_correct=True),
            ],
        ),
    )
    opinion = of_type("opinion", "single", metric=True)
    bank.update_item(
        opinion,
        bank.ItemContent(
            kind="opinion",
            question_type="single",
            metric="support",
            texts={"zh": "支持吗", "en": "Support?"},
            options=[bank.OptionContent({"zh": "是", "en": "Yes"}), bank.OptionContent({"zh": "否", "en": "No"})],
        ),
    )
    two_correct = next(
        item for item in items if item.kind == "knowledge" and item.question_type == "single" and item is not single
    )
    bank.update_item(
        two_correct,
        knowledge_content(
            options=[
                bank.OptionContent({"zh": "甲", "en": "A"}, is_correct=True),
                bank.OptionContent({"zh": "乙", "en": "B"}, is_correct=True),
            ]
        ),
    )
    unexplained = next(
        item
        for item in items
        if item.kind == "knowledge" and item.question_type == "single" and item not in (single, two_correct)
    )
    bank.update_item(unexplained, knowledge_content(explanations={}))
    empty = bank.add_section(draft, {"zh": "空", "en": ""})

    problems = problems_of(draft)
    expected = [
        f"Item {numbers[single.id]}: a knowledge question needs a correct answer",
        f"Item {numbers[multiple.id]}: a multiple-choice question needs at least two options",
        f"Item {numbers[fillin.id]}: a fill-in question needs at least one accepted answer",
        f"Item {numbers[truefalse.id]}: the English text is missing",
        f"Item {numbers[truefalse.id]}: option 2 has no English label",
        f"Item {numbers[truefalse.id]}: a true/false question needs exactly one correct answer",
        f"Item {numbers[opinion.id]}: an opinion question with a metric needs at least one positive option",
        f"Item {numbers[two_correct.id]}: a single-choice knowledge question needs exactly one correct answer",
        f"Item {numbers[unexplained.id]}: a knowledge question needs an explanation",
        f"Section {len(rows) + 1}: the English title is missing",
        f"Section {len(rows) + 1}: the section has no items",
    ]
    for message in expected:
        assert message in problems, (message, problems)
    assert len(problems) == len(expected), problems
    with pytest.raises(bank.NotPublishable):
        bank.publish_version(draft)
    db.session.rollback()
    assert draft.status == "draft" and current_version().id == version.id
    assert empty.id


def test_a_version_without_knowledge_items_or_sections_is_refused(version):
    draft = bank.open_draft()
    for _section, items in bank.layout(draft):
        for item in items:
            if item.is_knowledge:
                bank.delete_item(item)
    assert "The questionnaire has no knowledge questions: residents would have nothing to learn." in problems_of(draft)
    empty = QuestionnaireVersion(number=99, status="draft")
    db.session.add(empty)
    db.session.commit()
    assert problems_of(empty) == ["The questionnaire has no sections."]


def test_metric_only_for_opinion_and_fillin_only_for_knowledge_in_old_data(version):
    """Rows the editor cannot make (the database forbids them) are still reported, never crash validation."""
    item = next(item for item in version.items if item.kind == "participation")
    assert bank.item_problems(item) == []
    item.metric = "support"  # not flushed: only the check is exercised
    assert "a metric is only for opinion questions" in map(str, bank.item_problems(item))
    db.session.rollback()


def test_publish_retires_the_previous_version(version):
    draft = bank.open_draft()
    bank.publish_version(draft)
    db.session.expire_all()
    assert current_version().id == draft.id
    assert draft.status == "published" and draft.published_at is not None
    assert db.session.get(QuestionnaireVersion, version.id).status == "retired"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.publish")).one()


def test_versions_with_responses_or_not_drafts_refuse_every_change(version, community):
    bank_item = version.items[2]
    with pytest.raises(bank.ReadOnlyVersion):
        bank.update_item(bank_item, knowledge_content())
    db.session.rollback()
    raw = {
        item.id: (
            item.accepted_answers[0].text
            if item.question_type == "fillin"
            else [item.options[0].id]
            if item.question_type == "multiple"
            else item.options[0].id
        )
        for item in version.items
    }
    questionnaire.submit(version, community.id, questionnaire.participant_hash("x"), questionnaire.new_public_id(), raw)
    assert bank.is_read_only(version)
    for change in (
        lambda: bank.move_item(bank_item, "down"),
        lambda: bank.delete_item(bank_item),
        lambda: bank.add_section(version, {"zh": "x", "en": "x"}),
    ):
        with pytest.raises(VersionFrozen):
            change()
        db.session.rollback()
    # A draft that somehow got answers is frozen too.
    version.status = "draft"
    db.session.commit()
    with pytest.raises(VersionFrozen):
        bank.update_item(bank_item, knowledge_content())
    db.session.rollback()


# --- HTTP -----------------------------------------------------------------------------------------------


def test_index_lists_versions_and_opens_one_draft(auth, client, app):
    auth.as_role("editor")
    page = client.get(f"{BASE}/", headers=EN)
    assert page.status_code == 200
    assert "Version 1" in page.text and "Open a new draft (copy of version 1)" in page.text
    response = post(client, f"{BASE}/drafts")
    assert response.status_code == 302
    with app.app_context():
        draft = bank.find_draft()
        assert draft.number == 2
        assert response.headers["Location"].endswith(f"{BASE}/{draft.id}")
    page = client.get(f"{BASE}/", headers=EN)
    assert "Continue editing draft version 2" in page.text
    again = post(client, f"{BASE}/drafts")
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(QuestionnaireVersion)).all()) == 2
    editor = client.get(again.headers["Location"], headers=EN)
    assert editor.status_code == 200 and "Check and publish" in editor.text
    assert "Add a question to this section" in editor.text


def test_index_marks_versions_with_responses_read_only(auth, client, survey):
    survey.complete()
    auth.as_role("editor")
    page = client.get(f"{BASE}/", headers=EN)
    assert "Read-only: has responses" in page.text


def test_edit_item_through_the_form(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        item = next(item for item in draft.items if item.question_type == "single" and item.is_knowledge)
        page = db.session.scalars(select(Page).order_by(Page.id.desc())).first()
        data = item_form(
            item,
            text_en="Edited question?",
            explanation_zh="新的解释",
            page=str(page.id),
            **{"options-4-label_zh": "新选项", "options-4-label_en": "New option"},
        )
        item_id, page_id = item.id, page.id
    path = f"{BASE}/{version_id}/items/{item_id}"
    form_page = client.get(path, headers=EN)
    assert form_page.status_code == 200 and 'name="options-5-label_en"' in form_page.text
    response = post(client, path, data, page=path)
    assert response.status_code == 302, response.text
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert item.tr("text", "en") == "Edited question?"
        assert item.tr("explanation", "zh") == "新的解释"
        assert item.page_id == page_id
        assert [option.tr("label", "en") for option in item.options][-1] == "New option"


def test_bad_option_rows_and_impossible_choices_are_422_with_a_message(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        item = next(item for item in draft.items if item.question_type == "single" and item.is_knowledge)
        cases = [
            (item_form(item, **{"options-5-is_correct": "y"}), "Option 6 is ticked but has no label."),
            (item_form(item, metric="support"), "A metric is only for opinion questions."),
            (item_form(item, kind="opinion"), "Only knowledge questions have correct answers"),
            (item_form(item, question_type="fillin"), "A fill-in question has no options"),
            (item_form(item, accepted_answers="abc"), "Only fill-in questions have accepted answers"),
            (item_form(item, **{"options-0-label_en": "x" * 301}), "300"),
            (item_form(item, page="999999"), "Not a valid choice"),
            (item_form(item, section="abc"), "Invalid Choice"),
        ]
        item_id, before = item.id, bank.item_snapshot(item)
    path = f"{BASE}/{version_id}/items/{item_id}"
    for data, message in cases:
        token = csrf_token(client.get(path).text)
        response = client.post(path, data={**data, "csrf_token": token}, headers=EN)
        assert response.status_code == 422, (message, response.status_code)
        assert message in response.text
    with app.app_context():
        assert bank.item_snapshot(db.session.get(Item, item_id)) == before


def test_add_move_and_remove_items_through_the_editor(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        section = bank.layout(draft)[0][0]
        section_id, count = section.id, len(draft.items)
        last_id = bank.layout(draft)[0][1][-1].id
    new_path = f"{BASE}/{version_id}/sections/{section_id}/items/new"
    assert client.get(new_path).status_code == 200
    data = {
        "section": str(section_id),
        "kind": "opinion",
        "question_type": "single",
        "metric": "satisfaction",
        "is_required": "y",
        "page": "",
        "text_zh": "满意吗？",
        "text_en": "Satisfied?",
        "options-0-label_zh": "满意",
        "options-0-label_en": "Satisfied",
        "options-0-is_positive": "y",
        "options-1-label_zh": "不满意",
        "options-1-label_en": "Not satisfied",
    }
    response = post(client, new_path, data, page=new_path)
    assert response.status_code == 302, response.text
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        added = bank.layout(draft)[0][1][-1]
        assert added.tr("text", "en") == "Satisfied?" and added.metric == "satisfaction"
        assert len(draft.items) == count + 1
        added_id = added.id
    response = post(client, f"{BASE}/{version_id}/items/{added_id}/move", {"direction": "up"})
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        assert [item.id for item in bank.layout(draft)[0][1]][-2:] == [added_id, last_id]
    assert post(client, f"{BASE}/{version_id}/items/{added_id}/move", {"direction": "sideways"}).status_code == 400
    confirm = client.get(f"{BASE}/{version_id}/items/{added_id}/delete", headers=EN)
    assert confirm.status_code == 200 and "Satisfied?" in confirm.text
    assert post(client, f"{BASE}/{version_id}/items/{added_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Item, added_id) is None


def test_sections_through_the_editor(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    editor = f"{BASE}/{version_id}"
    response = post(client, f"{editor}/sections", {"title_zh": "新部分", "title_en": "New part"}, page=editor)
    assert response.status_code == 302
    with app.app_context():
        section = bank.layout(db.session.get(QuestionnaireVersion, version_id))[-1][0]
        section_id = section.id
    path = f"{editor}/sections/{section_id}"
    assert post(client, path, {"title_zh": "改名", "title_en": "Renamed"}, page=path).status_code == 302
    assert post(client, f"{path}/move", {"direction": "up"}).status_code == 302
    too_long = post(client, path, {"title_zh": "x" * 201, "title_en": "y"}, page=path)
    assert too_long.status_code == 422
    assert post(client, f"{path}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Section, section_id) is None
        full = bank.layout(db.session.get(QuestionnaireVersion, version_id))[0][0].id
    refused = post(client, f"{editor}/sections/{full}/delete")
    assert refused.status_code == 409


def test_publishing_through_the_web_gives_residents_the_new_version(auth, client, app, survey):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        item = bank.layout(draft)[0][1][0]
        bank.update_item(
            item,
            bank.ItemContent(
                kind=item.kind,
                question_type=item.question_type,
                metric=item.metric,
                texts={"zh": "您知道我们正在创建吗？（新版）", "en": "Brand-new wording?"},
                options=[
                    bank.OptionContent({"zh": "知道", "en": "Yes"}, is_positive=True),
                    bank.OptionContent({"zh": "不知道", "en": "No"}),
                ],
            ),
        )
    check = client.get(f"{BASE}/{version_id}/check", headers=EN)
    assert "No problems found." in check.text and "Publish version 2" in check.text
    response = post(client, f"{BASE}/{version_id}/publish", page=f"{BASE}/{version_id}/check")
    assert response.status_code == 302, response.text
    with app.app_context():
        assert current_version().id == version_id
        assert (
            db.session.scalar(select(QuestionnaireVersion.status).where(QuestionnaireVersion.number == 1)) == "retired"
        )
    survey.start()
    section = client.get("/survey/section/1", headers=EN)
    assert "Brand-new wording?" in section.text
    assert "（新版）" in client.get("/survey/section/1", headers={"Accept-Language": "zh-CN"}).text
    index = client.get(f"{BASE}/", headers=EN)
    assert "Residents get this one" in index.text


def test_a_resident_mid_survey_is_told_to_start_again_after_publishing(auth, client, app, survey):
    survey.start()
    with app.app_context():
        bank.publish_version(bank.open_draft())
    response = client.get("/survey/section/1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/survey/")


def test_publishing_with_problems_is_refused_with_the_list(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        bank.add_section(db.session.get(QuestionnaireVersion, version_id), {"zh": "空", "en": "Empty"})
    check = client.get(f"{BASE}/{version_id}/check", headers=EN)
    assert "the section has no items" in check.text and "Publish version" not in check.text
    response = post(client, f"{BASE}/{version_id}/publish", page=f"{BASE}/{version_id}/check")
    assert response.status_code == 422
    with app.app_context():
        assert current_version().number == 1


def test_answered_and_published_versions_are_read_only_on_the_web(auth, client, app, survey):
    survey.complete()
    auth.as_role("editor")
    with app.app_context():
        version = current_version()
        item = version.items[3]
        section = version.sections[0]
        version_id, item_id, section_id, before = version.id, item.id, section.id, bank.item_snapshot(item)
        section_count = len(version.sections)
        data = item_form(item, text_en="Changed!")
    page = client.get(f"{BASE}/{version_id}", headers=EN)
    assert page.status_code == 200
    assert "Read-only." in page.text and "already has residents" in page.text
    assert f"/items/{item_id}/move" not in page.text and "Check and publish" not in page.text
    assert client.get(f"{BASE}/{version_id}/items/{item_id}").status_code == 302
    attempts = [
        (f"{BASE}/{version_id}/items/{item_id}", data),
        (f"{BASE}/{version_id}/items/{item_id}/move", {"direction": "down"}),
        (f"{BASE}/{version_id}/items/{item_id}/delete", {}),
        (f"{BASE}/{version_id}/sections", {"title_zh": "x", "title_en": "x"}),
        (f"{BASE}/{version_id}/sections/{section_id}", {"title_zh": "x", "title_en": "x"}),
        (f"{BASE}/{version_id}/sections/{section_id}/move", {"direction": "down"}),
        (f"{BASE}/{version_id}/sections/{section_id}/delete", {}),
        (f"{BASE}/{version_id}/sections/{section_id}/items/new", data),
        (f"{BASE}/{version_id}/publish", {}),
        (f"{BASE}/{version_id}/delete", {}),
    ]
    for path, payload in attempts:
        token = csrf_token(client.get(f"{BASE}/").text)
        response = client.post(path, data={**payload, "csrf_token": token}, headers=EN)
        assert response.status_code == 409, path
        assert "cannot change" in response.text
    with app.app_context():
        version = db.session.get(QuestionnaireVersion, version_id)
        assert bank.item_snapshot(db.session.get(Item, item_id)) == before
        assert len(version.sections) == section_count and version.status == "published"


def test_a_published_version_without_responses_is_read_only_too(auth, client, app):
    auth.as_role("editor")
    with app.app_context():
        version = current_version()
        item = version.items[0]
        path, data = f"{BASE}/{version.id}/items/{item.id}", item_form(item, text_en="Changed!")
    response = post(client, path, data)
    assert response.status_code == 409
    assert (
        "published and cannot be changed"
        in client.post(path, data={**data, "csrf_token": csrf_token(client.get(f"{BASE}/").text)}, headers=EN).text
    )


def test_a_frozen_version_caught_at_flush_is_a_409_not_a_500(auth, client, app, survey, monkeypatch):
    """Even if the read-only check were bypassed, the flush guard's VersionFrozen becomes a clear 409."""
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        draft = db.session.get(QuestionnaireVersion, version_id)
        item = bank.layout(draft)[0][1][0]
        item_id, data = item.id, item_form(item, text_en="Changed!")

    def frozen(*args, **kwargs):
        raise VersionFrozen("answered")

    monkeypatch.setattr(bank, "update_item", frozen)
    path = f"{BASE}/{version_id}/items/{item_id}"
    response = post(client, path, data, page=path)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "path",
    [
        "/999999",
        "/999999/check",
        "/999999/items/1",
        "/999999/sections/1",
        "/999999/items/1/delete",
    ],
)
def test_unknown_ids_are_404(auth, client, path):
    auth.as_role("editor")
    assert client.get(BASE + path).status_code == 404


def test_an_item_or_section_of_another_version_is_404(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        old = current_version()
        old_item, old_section = old.items[0].id, old.sections[0].id
    for path in [
        f"/{version_id}/items/{old_item}",
        f"/{version_id}/items/{old_item}/delete",
        f"/{version_id}/sections/{old_section}",
        f"/{version_id}/sections/{old_section}/items/new",
        f"/{version_id}/items/999999",
    ]:
        assert client.get(BASE + path).status_code == 404, path
    for path in [
        f"/{version_id}/items/{old_item}/move",
        f"/{version_id}/sections/{old_section}/move",
        f"/{version_id}/sections/{old_section}/delete",
    ]:
        assert post(client, BASE + path, {"direction": "up"}).status_code == 404, path


def test_posts_without_a_csrf_token_are_400(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    with app.app_context():
        item_id = db.session.get(QuestionnaireVersion, version_id).items[0].id
    for path in [
        "/drafts",
        f"/{version_id}/publish",
        f"/{version_id}/items/{item_id}",
        f"/{version_id}/items/{item_id}/move",
        f"/{version_id}/sections",
    ]:
        assert client.post(BASE + path, data={"direction": "up"}).status_code == 400, path


@pytest.mark.parametrize("role", ["district", "street", "community"])
def test_roles_without_content_rights_get_403(auth, client, app, role):
    version_id = draft_id(app)
    auth.as_role(role)
    for path in ["/", f"/{version_id}", f"/{version_id}/check"]:
        assert client.get(BASE + path).status_code == 403
    token = csrf_token(client.get("/admin/").text)
    assert client.post(f"{BASE}/drafts", data={"csrf_token": token}).status_code == 403


def test_admin_may_use_the_bank(auth, client):
    auth.as_role("admin")
    assert client.get(f"{BASE}/").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client, app):
    version_id = draft_id(app)
    for path in ["/", f"/{version_id}", f"/{version_id}/check"]:
        response = client.get(BASE + path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_every_bank_view_is_limited_to_content_roles(app):
    views = {
        rule.endpoint: app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("bank.")
    }
    assert len(views) >= 10
    for endpoint, view in views.items():
        assert view.allowed_roles == frozenset({"admin", "editor"}), endpoint


def test_discard_a_draft(auth, client, app):
    auth.as_role("editor")
    version_id = draft_id(app)
    assert client.get(f"{BASE}/{version_id}/delete").status_code == 200
    response = post(client, f"{BASE}/{version_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(QuestionnaireVersion, version_id) is None
        assert current_version().number == 1
