"""Saving submissions: counted once, practice retakes, idempotency, frozen versions — without HTTP."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import Item, Option, QuestionnaireVersion, Response, Section
from survey.questionnaire import services
from survey.questionnaire.scoring import InvalidAnswer


def all_right(version):
    raw = {}
    for item in version.items:
        if item.question_type == "fillin":
            raw[item.id] = item.accepted_answers[0].text
        elif item.question_type == "multiple":
            raw[item.id] = [o.id for o in item.options if o.is_correct]
        elif item.is_knowledge:
            raw[item.id] = next(o.id for o in item.options if o.is_correct)
        else:
            raw[item.id] = item.options[0].id
    return raw


def knowledge_count(version):
    return sum(1 for item in version.items if item.is_knowledge)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def submit(version, community, participant="p1", public_id=None, raw=None):
    return services.submit(
        version,
        community.id,
        services.participant_hash(participant),
        public_id or services.new_public_id(),
        raw if raw is not None else all_right(version),
    )


def test_first_attempt_counts_and_retakes_are_practice(version, community):
    first = submit(version, community, "alice")
    second = submit(version, community, "alice")
    third = submit(version, community, "alice")
    other = submit(version, community, "bob")
    assert (first.is_counted, first.attempt_number) == (True, 1)
    assert (second.is_counted, second.attempt_number) == (False, 2)
    assert (third.is_counted, third.attempt_number) == (False, 3)
    assert other.is_counted is True
    assert count(Response, Response.is_counted.is_(True)) == 2


def test_score_and_answers_are_stored(version, community):
    raw = all_right(version)
    wrong_item = next(item for item in version.items if item.question_type == "single" and item.is_knowledge)
    raw[wrong_item.id] = next(o.id for o in wrong_item.options if not o.is_correct)
    response = submit(version, community, raw=raw)
    assert response.knowledge_total == knowledge_count(version)
    assert response.knowledge_correct == knowledge_count(version) - 1
    db.session.expire_all()
    stored = {answer.item_id: answer for answer in db.session.get(Response, response.id).answers}
    assert len(stored) == len(raw)
    assert stored[wrong_item.id].is_correct is False
    multiple = next(item for item in version.items if item.question_type == "multiple")
    assert list(stored[multiple.id].option_ids) == sorted(o.id for o in multiple.options if o.is_correct)


def test_the_same_attempt_posted_twice_is_stored_once(version, community):
    public_id = services.new_public_id()
    first = submit(version, community, public_id=public_id)
    again = submit(version, community, public_id=public_id)
    assert again.id == first.id
    assert count(Response) == 1


def test_required_items_must_be_answered_and_nothing_is_written(version, community):
    raw = all_right(version)
    required = next(item for item in version.items if item.is_required)
    del raw[required.id]
    with pytest.raises(services.IncompleteSubmission) as error:
        submit(version, community, raw=raw)
    assert required.id in error.value.item_ids
    assert count(Response) == 0


def test_optional_items_may_be_left_out(version, community):
    raw = all_right(version)
    optional = [item for item in version.items if not item.is_required]
    assert optional, "the demo questionnaire has an optional item"
    for item in optional:
        del raw[item.id]
    assert submit(version, community, raw=raw).is_counted


def test_answers_to_another_versions_items_are_refused(version, community):
    other = QuestionnaireVersion(number=2, status="draft")
    section = Section(position=0)
    other.sections.append(section)
    item = Item(version=other, kind="knowledge", question_type="single", position=1)
    item.set_translation("zh", text="另一个问题")
    item.options = [Option(position=0, is_correct=True)]
    section.items.append(item)
    db.session.add(other)
    db.session.commit()
    raw = all_right(version)
    raw[item.id] = item.options[0].id
    with pytest.raises(InvalidAnswer):
        submit(version, community, raw=raw)
    assert count(Response) == 0


def test_a_tampered_option_is_refused_and_nothing_is_written(version, community):
    raw = all_right(version)
    first, second = [item for item in version.items if item.question_type == "single"][:2]
    raw[first.id] = second.options[0].id
    with pytest.raises(InvalidAnswer):
        submit(version, community, raw=raw)
    assert count(Response) == 0


def test_the_database_refuses_two_counted_attempts_for_one_participant(version, community):
    digest = services.participant_hash("carol")
    for public_id in ("a" * 32, "b" * 32):
        db.session.add(
            Response(
                public_id=public_id,
                version_id=version.id,
                community_id=community.id,
                participant_hash=digest,
                attempt_number=1,
                is_counted=True,
            )
        )
        if public_id == "a" * 32:
            db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_participant_token_is_stored_only_as_a_keyed_hash(version, community, app):
    response = submit(version, community, participant="my-secret-cookie-token")
    assert "my-secret-cookie-token" not in response.participant_hash
    assert response.participant_hash == services.participant_hash("my-secret-cookie-token")
    assert len(response.participant_hash) == 64
    columns = {column.name for column in Response.__table__.columns}
    forbidden = {"ip", "ip_address", "remote_addr", "user_agent", "agent", "name", "phone", "address"}
    assert not columns & forbidden
    assert not [name for name in columns if "agent" in name or name.endswith("_ip") or "addr" in name]


def test_a_version_with_responses_cannot_change(version, community):
    item = version.items[0]
    item.set_translation("zh", text="改过的问题")
    db.session.commit()  # no responses yet: editing is allowed
    submit(version, community)
    with pytest.raises(services.VersionFrozen):
        services.ensure_editable(version)
    item.set_translation("zh", text="再改一次")
    with pytest.raises(services.VersionFrozen):
        db.session.commit()
    db.session.rollback()
    for change in (
        lambda: setattr(version.items[1].options[0], "is_correct", True),
        lambda: version.items[2].options.append(Option(position=9)),
        lambda: db.session.delete(version.items[3]),
    ):
        change()
        with pytest.raises(services.VersionFrozen):
            db.session.flush()
        db.session.rollback()
    assert db.session.get(Item, version.items[0].id).tr("text", "zh") == "改过的问题"


def test_a_draft_version_without_responses_stays_editable(version):
    services.ensure_editable(version)  # does not raise
    assert not services.has_responses(version.id)
