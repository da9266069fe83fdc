"""Streets (街道) and communities (社区), the units every rate is reported for."""

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Translatable

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"


class Street(Translatable, db.Model):
    """A street (sub-district) grouping several communities."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    translations = relationship(
        "StreetTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="street"
    )
    communities = relationship("Community", back_populates="street", order_by="Community.position", lazy="selectin")

    @property
    def name(self):
        """The street's name in the current locale."""
        return self.tr("name")

    def __repr__(self):
        return f"<Street {self.code}>"


class StreetTranslation(db.Model):
    """A street's name in one locale."""

    __table_args__ = (UniqueConstraint("street_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    street = relationship("Street", back_populates="translations")

    def __repr__(self):
        return f"<StreetTranslation {self.street_id} {self.locale}>"


class Community(Translatable, db.Model):
    """A community (社区) with the population its participation is measured against."""

    __table_args__ = (
        CheckConstraint("target_population IS NULL OR target_population > 0", name="population_positive"),
        CheckConstraint("target_share IS NULL OR (target_share > 0 AND target_share <= 1)", name="share_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    target_population: Mapped[int | None]
    target_share: Mapped[float | None]
    street = relationship("Street", back_populates="communities", lazy="joined")
    translations = relationship(
        "CommunityTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="community"
    )

    @property
    def name(self):
        """The community's name in the current locale."""
        return self.tr("name")

    def __repr__(self):
        return f"<Community {self.code}>"


class CommunityTranslation(db.Model):
    """A community's name in one locale."""

    __table_args__ = (UniqueConstraint("community_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    community = relationship("Community", back_populates="translations")

    def __repr__(self):
        return f"<CommunityTranslation {self.community_id} {self.locale}>"
