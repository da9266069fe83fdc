"""Anonymous responses and their answers; no name, address or user-agent is ever stored."""
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Response(db.Model):
    """One completed attempt; the first per participant and version is counted, later ones are practice."""

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
    answers = relationship("Answer", back_populates="response", cascade="all, delete-orphan")
    community = relationship("Community")
    version = relationship("QuestionnaireVersion")

    @property
    def score_percent(self):
        """Share of knowledge items answered correctly, 0–100."""
        if not self.knowledge_total:
            return 0.0
        return 100.0 * self.knowledge_correct / self.knowledge_total

    def __repr__(self):
        return f"<Response {self.public_id} attempt {self.attempt_number}>"


class Answer(db.Model):
    """A response's answer to one item; correctness and positivity are fixed at submission (versions are frozen)."""

    __table_args__ = (UniqueConstraint("response_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("option.id"))
    text: Mapped[str | None] = mapped_column(Text)
    is_correct: Mapped[bool | None]
    is_positive: Mapped[bool | None]
    response = relationship("Response", back_populates="answers")
    choices = relationship(
        "AnswerChoice",
        cascade="all, delete-orphan",
        lazy="selectin",
        primaryjoin="and_(Answer.response_id == foreign(AnswerChoice.response_id), "
        "Answer.item_id == foreign(AnswerChoice.item_id))",
    )

    def __repr__(self):
        return f"<Answer r{self.response_id} i{self.item_id}>"


class AnswerChoice(db.Model):
    """One option ticked in a multiple-choice answer, keyed by (response, item) so bulk writes need no answer ids."""

    __tablename__ = "answer_choice"
    __table_args__ = (
        ForeignKeyConstraint(
            ["response_id", "item_id"], ["answer.response_id", "answer.item_id"],
            name="fk_answer_choice_answer", ondelete="CASCADE",
        ),
    )
    response_id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("option.id"), primary_key=True)

    def __repr__(self):
        return f"<AnswerChoice r{self.response_id} i{self.item_id} o{self.option_id}>"
