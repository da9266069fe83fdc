"""The one scoring implementation: the result page, the instant check and the simulator all call it."""

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


class InvalidAnswer(ValueError):
    """An answer that cannot belong to the item (a tampered option id, a wrong shape)."""


def normalise(text):
    """Fold an answer for comparison: NFKC (full-/half-width), trimmed, inner spaces collapsed, case-folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", folded).strip().casefold()


@dataclass(frozen=True)
class Scored:
    """The verdict on one answer: ``is_correct`` is None for unscored items, ``is_positive`` None without a metric."""

    is_correct: bool | None
    is_positive: bool | None


@dataclass(frozen=True)
class ItemKey:
    """What scoring needs to know about an item, as plain values (built once, used for many answers)."""

    id: int
    kind: str
    question_type: str
    metric: str | None
    is_required: bool
    option_ids: frozenset
    correct: frozenset
    positive: frozenset
    accepted: frozenset

    @property
    def is_knowledge(self):
        """True for scored items."""
        return self.kind == "knowledge"


def key_for(item):
    """Build the scoring key of an Item."""
    options = item.options
    return ItemKey(
        id=item.id,
        kind=item.kind,
        question_type=item.question_type,
        metric=item.metric,
        is_required=item.is_required,
        option_ids=frozenset(option.id for option in options),
        correct=frozenset(option.id for option in options if option.is_correct),
        positive=frozenset(option.id for option in options if option.is_positive),
        accepted=frozenset(normalise(answer.text) for answer in item.accepted_answers),
    )


def coerce(key, raw):
    """Turn a raw value (option id, list of ids, or text) into the item's canonical answer, or raise InvalidAnswer.

    ``None`` (and an empty list or blank text) means "not answered".
    """
    if key.question_type == "fillin":
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise InvalidAnswer("text expected")
        return raw.strip() or None
    if key.question_type == "multiple":
        if raw is None:
            return None
        values = raw if isinstance(raw, (list, tuple, set, frozenset)) else [raw]
        try:
            chosen = frozenset(_option_id(value) for value in values)
        except (TypeError, ValueError):
            raise InvalidAnswer("option ids expected") from None
        if not chosen <= key.option_ids:
            raise InvalidAnswer("unknown option")
        return chosen or None
    if raw is None or raw == "":
        return None
    try:
        chosen = _option_id(raw)
    except (TypeError, ValueError):
        raise InvalidAnswer("option id expected") from None
    if chosen not in key.option_ids:
        raise InvalidAnswer("unknown option")
    return chosen


def _option_id(value):
    """An option id from an int or a string of digits (never a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError("option id must be an integer")
    return int(value)


# Every verdict there can be, made once: scoring a submission hands these out rather than making 30 new ones.
_VERDICTS = {
    (is_correct, is_positive): Scored(is_correct, is_positive)
    for is_correct in (None, True, False)
    for is_positive in (None, True, False)
}


def score(key, value):
    """Score a canonical answer (see ``coerce``) against the item's key."""
    if value is None:
        return _VERDICTS[None, None]
    if key.question_type == "fillin":
        return _VERDICTS[normalise(value) in key.accepted if key.kind == "knowledge" else None, None]
    chosen = value if isinstance(value, frozenset) else frozenset((value,))
    is_correct = chosen == key.correct if key.kind == "knowledge" else None
    is_positive = None
    if key.metric is not None or key.kind == "participation":
        is_positive = not chosen.isdisjoint(key.positive)
    return _VERDICTS[is_correct, is_positive]


def correct_answer_labels(item):
    """The correct answer as residents should read it: option labels, or the accepted fill-in answers."""
    if item.question_type == "fillin":
        return [answer.text for answer in item.accepted_answers]
    return [option.label for option in item.options if option.is_correct]


def answer_labels(item, value):
    """The resident's own answer as labels, for the result page."""
    if value is None:
        return []
    if item.question_type == "fillin":
        return [value]
    chosen = value if isinstance(value, frozenset) else {value}
    return [option.label for option in item.options if option.id in chosen]
