"""The synthetic residents of ``simulate-responses``: how they answer, and the forked maker of batches."""

import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from survey import simulate
from survey.extensions import db
from survey.models import Response
from survey.questionnaire.services import current_version
from tests.test_answer_storage import _check_recount_equals_rollups


def _stored_rows():
    """What a run stored that does not depend on the clock or the random keys, in insertion order."""
    return db.session.execute(
        select(
            Response.community_id,
            Response.attempt_number,
            Response.is_counted,
            Response.knowledge_correct,
            Response.packed_answers,
        ).order_by(Response.id)
    ).all()


def test_residents_answer_right_as_often_as_their_skill(ctx):
    menu_list, table = simulate.menus(current_version())
    rng, residents = random.Random(4), 20_000
    for skill in (0.5, 0.9):
        given = Counter()
        for _ in range(residents):
            numbers = simulate.answer_as(menu_list, rng, skill)
            assert all(0 <= number < len(table) for number in numbers)
            items = {table[number].stored[0] for number in numbers}
            assert len(items) == len(numbers)  # one answer per item at most
            given.update(number for number in numbers if table[number].correct)
        knowledge = [menu for menu in menu_list if menu.knowledge and menu.required]
        assert knowledge
        for menu in knowledge:
            right = sum(given[number] for number in menu.right) / residents
            # Right with chance ``skill``, plus by luck when an item's right answer is among the any-answers.
            assert skill - 0.02 < right < skill + (1 - skill) * 0.6 + 0.02, (menu, right)


def test_optional_items_are_left_unanswered_about_three_times_in_ten(ctx):
    menu_list, table = simulate.menus(current_version())
    optional = [index for index, menu in enumerate(menu_list) if not menu.required]
    if not optional:
        pytest.skip("the demo questionnaire has no optional item")
    item_of = [table[menu.sizes[0][0]].stored[0] for menu in menu_list]
    rng, residents, answered = random.Random(8), 20_000, Counter()
    for _ in range(residents):
        answered.update(table[number].stored[0] for number in simulate.answer_as(menu_list, rng, 0.7))
    for index in optional:
        assert abs(answered[item_of[index]] / residents - (1 - simulate.SKIP_OPTIONAL)) < 0.02


def test_a_forked_maker_stores_what_one_process_stores_for_the_same_seed(app, monkeypatch):
    with app.app_context():
        # Four batches: made by a forked process while this one writes them.
        assert simulate.simulate_responses(1000, seed=9, batch_size=300) == 1000
        forked = _stored_rows()
        version_id = current_version().id
        _check_recount_equals_rollups(version_id)
        db.session.execute(Response.__table__.delete())
        db.session.commit()
        monkeypatch.setattr(simulate.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
        assert simulate.simulate_responses(1000, seed=9, batch_size=300) == 1000
        here = _stored_rows()
    assert len(forked) == len(here) == 1000
    assert [tuple(row) for row in forked] == [tuple(row) for row in here]
    assert any(row.attempt_number > 1 for row in forked)  # retakes across batches too


def test_an_error_in_the_forked_maker_stops_the_run_with_whole_batches_stored(app, monkeypatch):
    made = {"residents": 0}
    answer_as = simulate.answer_as

    def failing(menu_list, rng, skill):
        made["residents"] += 1  # counted in the forked process, which inherits this function
        if made["residents"] > 450:
            raise ValueError("boom")
        return answer_as(menu_list, rng, skill)

    monkeypatch.setattr(simulate, "answer_as", failing)
    with app.app_context():
        with pytest.raises(RuntimeError, match="making synthetic responses failed: ValueError"):
            simulate.simulate_responses(1000, seed=2, batch_size=200)
        db.session.rollback()
        # Batches one and two were whole and are stored, with their rollups; the third never came.
        assert db.session.scalar(select(func.count()).select_from(Response)) == 400
        _check_recount_equals_rollups(current_version().id)
