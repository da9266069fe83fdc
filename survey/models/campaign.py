"""Campaign settings: one row, with the site name per locale."""

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Translatable


class Campaign(Translatable, db.Model):
    """The district's campaign: inspection day, default target and the small-number threshold."""

    __table_args__ = (
        CheckConstraint("default_target_share > 0 AND default_target_share <= 1", name="share_range"),
        CheckConstraint("min_count >= 1", name="min_count_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_date: Mapped[date | None]
    default_target_share: Mapped[float] = mapped_column(default=0.2)
    min_count: Mapped[int] = mapped_column(default=5)
    translations = relationship(
        "CampaignTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="campaign"
    )

    @property
    def site_name(self):
        """The site's name in the current locale."""
        return self.tr("site_name")

    def __repr__(self):
        return f"<Campaign inspection {self.inspection_date}>"


class CampaignTranslation(db.Model):
    """The site name in one locale."""

    __table_args__ = (UniqueConstraint("campaign_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    site_name: Mapped[str] = mapped_column(String(120))
    campaign = relationship("Campaign", back_populates="translations")

    def __repr__(self):
        return f"<CampaignTranslation {self.locale}>"
