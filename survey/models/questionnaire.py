"""Questionnaire versions, their sections, items, options and accepted fill-in answers."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Translatable, utcnow

KINDS = ("knowledge", "opinion", "participation")
QUESTION_TYPES = ("single", "multiple", "truefalse", "fillin")
METRICS = ("awareness", "support", "satisfaction")
STATUSES = ("draft", "published", "retired")


class QuestionnaireVersion(db.Model):
    """One frozen-once-answered set of questions; rates are always per version."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    sections = relationship(
        "Section", back_populates="version", order_by="Section.position", cascade="all, delete-orphan"
    )
    items = relationship("Item", order_by="Item.position", viewonly=True)

    def __repr__(self):
        return f"<QuestionnaireVersion {self.number} {self.status}>"


class Section(Translatable, db.Model):
    """A short page of items shown together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    version = relationship("QuestionnaireVersion", back_populates="sections")
    items = relationship("Item", back_populates="section", order_by="Item.position", cascade="all, delete-orphan")
    translations = relationship(
        "SectionTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="section"
    )

    @property
    def title(self):
        """The section's title in the current locale."""
        return self.tr("title")

    def __repr__(self):
        return f"<Section {self.id} v{self.version_id} #{self.position}>"


class SectionTranslation(db.Model):
    """A section's title in one locale."""

    __table_args__ = (UniqueConstraint("section_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    section = relationship("Section", back_populates="translations")

    def __repr__(self):
        return f"<SectionTranslation {self.section_id} {self.locale}>"


class Item(Translatable, db.Model):
    """A question: a scored knowledge item, an unscored opinion item, or a participation item."""

    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind_known"),
        CheckConstraint(f"question_type IN {QUESTION_TYPES}", name="type_known"),
        CheckConstraint(f"metric IS NULL OR (metric IN {METRICS} AND kind = 'opinion')", name="metric_opinion_only"),
        CheckConstraint("kind = 'knowledge' OR question_type <> 'fillin'", name="fillin_is_knowledge"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    question_type: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(16))
    is_required: Mapped[bool] = mapped_column(default=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("page.id", ondelete="SET NULL"))
    version = relationship("QuestionnaireVersion")
    section = relationship("Section", back_populates="items")
    page = relationship("Page", lazy="joined")
    options = relationship(
        "Option", back_populates="item", order_by="Option.position", cascade="all, delete-orphan", lazy="selectin"
    )
    accepted_answers = relationship(
        "AcceptedAnswer",
        back_populates="item",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="AcceptedAnswer.id",
    )
    translations = relationship("ItemTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="item")

    @property
    def text(self):
        """The question text in the current locale."""
        return self.tr("text")

    @property
    def explanation(self):
        """Why the correct answer is correct, in the current locale."""
        return self.tr("explanation")

    @property
    def is_knowledge(self):
        """True for scored items."""
        return self.kind == "knowledge"

    def __repr__(self):
        return f"<Item {self.id} {self.kind}/{self.question_type}>"


class ItemTranslation(db.Model):
    """An item's text and explanation in one locale."""

    __table_args__ = (UniqueConstraint("item_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    item = relationship("Item", back_populates="translations")

    def __repr__(self):
        return f"<ItemTranslation {self.item_id} {self.locale}>"


class Option(Translatable, db.Model):
    """One choice of an item; knowledge options may be correct, opinion options may be positive."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    is_correct: Mapped[bool] = mapped_column(default=False)
    is_positive: Mapped[bool] = mapped_column(default=False)
    item = relationship("Item", back_populates="options")
    translations = relationship(
        "OptionTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="option"
    )

    @property
    def label(self):
        """The option's label in the current locale."""
        return self.tr("label")

    def __repr__(self):
        return f"<Option {self.id} of item {self.item_id}>"


class OptionTranslation(db.Model):
    """An option's label in one locale."""

    __table_args__ = (UniqueConstraint("option_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("option.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(300))
    option = relationship("Option", back_populates="translations")

    def __repr__(self):
        return f"<OptionTranslation {self.option_id} {self.locale}>"


class AcceptedAnswer(db.Model):
    """One accepted answer of a fill-in item, in any language; compared after normalisation."""

    __tablename__ = "accepted_answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    item = relationship("Item", back_populates="accepted_answers")

    def __repr__(self):
        return f"<AcceptedAnswer {self.text!r} of item {self.item_id}>"
