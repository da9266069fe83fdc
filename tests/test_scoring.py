"""The scoring service, without HTTP: every item type, normalisation, opinions never scored."""

import pytest

from survey.questionnaire.scoring import InvalidAnswer, coerce, key_for, normalise, score


def items_of(version, kind=None, question_type=None):
    return [
        item
        for item in version.items
        if (kind is None or item.kind == kind) and (question_type is None or item.question_type == question_type)
    ]


def verdict(item, raw):
    key = key_for(item)
    return score(key, coerce(key, raw))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  文明 ", "文明"),
        ("ＣＩＶＩＬＩＴＹ", "civility"),  # full-width letters fold to half-width
        ("Civility\u3000", "civility"),  # ideographic space trimmed
        ("１２３４５", "12345"),
        ("12月 5日", "12月 5日"),
        ("Dec   5", "dec 5"),
    ],
)
def test_normalise_trims_folds_width_and_case(raw, expected):
    assert normalise(raw) == expected


def test_single_choice_right_and_wrong(version):
    item = items_of(version, "knowledge", "single")[0]
    right = next(o for o in item.options if o.is_correct)
    wrong = next(o for o in item.options if not o.is_correct)
    assert verdict(item, right.id).is_correct is True
    assert verdict(item, str(right.id)).is_correct is True
    assert verdict(item, wrong.id).is_correct is False


def test_true_false_item(version):
    item = items_of(version, "knowledge", "truefalse")[0]
    assert len(item.options) == 2
    right = next(o for o in item.options if o.is_correct)
    wrong = next(o for o in item.options if not o.is_correct)
    assert verdict(item, right.id).is_correct is True
    assert verdict(item, wrong.id).is_correct is False


def test_multiple_choice_needs_exactly_the_correct_set(version):
    item = items_of(version, "knowledge", "multiple")[0]
    correct = [o.id for o in item.options if o.is_correct]
    wrong = [o.id for o in item.options if not o.is_correct]
    assert verdict(item, correct).is_correct is True
    assert verdict(item, list(reversed(correct))).is_correct is True
    assert verdict(item, correct[:-1]).is_correct is False  # a subset is not enough
    assert verdict(item, correct + wrong[:1]).is_correct is False  # a superset is wrong


def test_fill_in_accepts_variants_after_normalisation(version):
    fillins = items_of(version, "knowledge", "fillin")
    item = next(i for i in fillins if any(a.text == "文明" for a in i.accepted_answers))
    for answer in ["文明", " 文明 ", "Civility", "ＣＩＶＩＬＩＴＹ", "civilization"]:
        assert verdict(item, answer).is_correct is True, answer
    for answer in ["和谐", "wenming", "civil"]:
        assert verdict(item, answer).is_correct is False, answer


def test_fill_in_date_variants(version):
    fillins = items_of(version, "knowledge", "fillin")
    item = next(i for i in fillins if any(a.text == "12月5日" for a in i.accepted_answers))
    assert verdict(item, "１２月５日").is_correct is True
    assert verdict(item, "December 5").is_correct is True
    assert verdict(item, "9月20日").is_correct is False


def test_opinion_items_are_never_scored_but_feed_their_metric(version):
    for item in items_of(version, "opinion"):
        for option in item.options:
            result = verdict(item, option.id)
            assert result.is_correct is None
            if item.metric is None:
                assert result.is_positive is None
            else:
                assert result.is_positive is option.is_positive


def test_participation_item_records_positive_answers(version):
    item = items_of(version, "participation")[0]
    often, never = item.options[0], item.options[-1]
    assert verdict(item, often.id).is_positive is True
    assert verdict(item, never.id).is_positive is False
    assert verdict(item, often.id).is_correct is None


def test_tampered_option_ids_are_refused(version):
    single, other = items_of(version, "knowledge", "single")[:2]
    multiple = items_of(version, "knowledge", "multiple")[0]
    for raw in [other.options[0].id, 10**9, "abc", True, 1.5, [single.options[0].id]]:
        with pytest.raises(InvalidAnswer):
            coerce(key_for(single), raw)
    with pytest.raises(InvalidAnswer):
        coerce(key_for(multiple), [multiple.options[0].id, other.options[0].id])
    with pytest.raises(InvalidAnswer):
        coerce(key_for(items_of(version, "knowledge", "fillin")[0]), 12345)


def test_blank_answers_mean_not_answered(version):
    fillin = items_of(version, "knowledge", "fillin")[0]
    multiple = items_of(version, "knowledge", "multiple")[0]
    assert coerce(key_for(fillin), "   ") is None
    assert coerce(key_for(multiple), []) is None
    assert score(key_for(fillin), None).is_correct is None
