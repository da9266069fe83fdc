"""Anonymous responses and their answers; no name, address or user-agent is ever stored."""

import json
import re
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class StoredAnswer(NamedTuple):
    """One answer as stored: ``value`` is an option id, a sorted list of option ids, or the fill-in text."""

    item_id: int
    value: object
    is_correct: bool | None
    is_positive: bool | None

    @property
    def option_id(self):
        """The option chosen in a single-choice or true/false answer, else None."""
        return self.value if isinstance(self.value, int) else None

    @property
    def option_ids(self):
        """Every option ticked: one for a single choice, several for a multiple choice, none for a fill-in."""
        if isinstance(self.value, list):
            return tuple(self.value)
        return (self.value,) if isinstance(self.value, int) else ()

    @property
    def text(self):
        """The fill-in answer as typed (trimmed), else None."""
        return self.value if isinstance(self.value, str) else None

    @property
    def canonical(self):
        """The value as the scorer's ``coerce`` returns it (a frozenset for a multiple choice)."""
        return frozenset(self.value) if isinstance(self.value, list) else self.value


def pack_answers(answers):
    """The text stored in ``response.answers`` for ``[item_id, value, is_correct, is_positive]`` lists.

    Sorted by item id; a multiple choice's option ids are sorted too, so equal answers pack to equal text.
    """
    rows = sorted(
        [item_id, sorted(value) if isinstance(value, (list, tuple, set, frozenset)) else value, is_correct, is_positive]
        for item_id, value, is_correct, is_positive in answers
    )
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def unpack_answers(packed):
    """The StoredAnswers of a ``response.answers`` text, in item id order."""
    return [StoredAnswer(*row) for row in json.loads(packed or "[]")]


# One element of a packed answers array exactly as ``pack_answers`` writes it.
_PACKED_ELEMENT = re.compile(
    r'\[\d+,(?:-?\d+|\[[\d,]*\]|"(?:[^"\\]|\\.)*"|null),(?:true|false|null),(?:true|false|null)\]'
)


def split_packed(packed):
    """The elements of a ``response.answers`` text as JSON texts, without their brackets and undecoded.

    Readers of many responses (recounts, the export) count or format each distinct element once instead
    of decoding every answer: ``json.loads("[" + element + "]")`` decodes one. Without fill-in text an
    element holds no "],[" (a value list is never followed by a list), so a plain split finds them; with
    text, a pattern does. A text not in ``pack_answers``' exact layout is decoded and re-encoded.
    """
    if '"' not in packed and packed.startswith("[[") and packed.endswith("]]"):
        return packed[2:-2].split("],[")
    elements = _PACKED_ELEMENT.findall(packed)
    if "[" + ",".join(elements) + "]" == packed:
        return [element[1:-1] for element in elements]
    return [
        json.dumps(element, ensure_ascii=False, separators=(",", ":"))[1:-1] for element in json.loads(packed or "[]")
    ]


class Response(db.Model):
    """One completed attempt; the first per participant and version is counted, later ones are practice.

    Its answers are kept with it, packed in the ``answers`` column (not a row per answer: writing thirty-odd
    rows and their index entries per response was most of the cost of storing it). The text is compact JSON,
    ``[[item_id, value, is_correct, is_positive], ...]`` sorted by item id, where ``value`` is the option id
    (single choice, true/false), the sorted list of option ids (multiple choice) or the trimmed text
    (fill-in); an item left unanswered is absent. ``is_correct`` is null for unscored items and
    ``is_positive`` null for items without a metric; both are fixed at submission (answered versions are
    frozen). ``pack_answers`` / ``unpack_answers`` are the only encoder and decoder (``split_packed`` cuts
    the text into its elements for readers of many responses); recounts decode in batches
    (survey/stats/counts.py), the raw export one response at a time.
    """

    __table_args__ = (
        # At most one counted attempt per participant and version, enforced by the database itself.
        Index(
            "uq_response_counted_once",
            "version_id",
            "participant_hash",
            unique=True,
            sqlite_where=text("is_counted"),
            postgresql_where=text("is_counted"),
        ),
        Index("ix_response_participant", "participant_hash", "version_id"),
        Index("ix_response_scope", "version_id", "is_counted", "community_id"),
        CheckConstraint("attempt_number >= 1", name="attempt_positive"),
        CheckConstraint("knowledge_correct >= 0 AND knowledge_correct <= knowledge_total", name="score_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, unguessable id used in the result URL and as the form's idempotency key.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # HMAC-SHA256 of the participant cookie; the cookie value itself is never stored.
    participant_hash: Mapped[str] = mapped_column(String(64))
    attempt_number: Mapped[int] = mapped_column(default=1)
    is_counted: Mapped[bool] = mapped_column(default=False)
    knowledge_correct: Mapped[int] = mapped_column(default=0)
    knowledge_total: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Answered on a shared phone in assisted mode (a community worker helping); which worker is not stored.
    is_assisted: Mapped[bool] = mapped_column(default=False, server_default=false())
    packed_answers: Mapped[str] = mapped_column("answers", Text, default="[]", server_default="[]")
    community = relationship("Community")
    version = relationship("QuestionnaireVersion")

    @property
    def answers(self):
        """The answers given, as StoredAnswers in item id order."""
        return unpack_answers(self.packed_answers)

    @property
    def score_percent(self):
        """Share of knowledge items answered correctly, 0–100."""
        if not self.knowledge_total:
            return 0.0
        return 100.0 * self.knowledge_correct / self.knowledge_total

    def __repr__(self):
        return f"<Response {self.public_id} attempt {self.attempt_number}>"
