"""Publicity pages residents read, with per-locale title and Markdown body."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Translatable, utcnow

CATEGORIES = ("why", "benefits", "know", "behaviour", "volunteering")


class Page(Translatable, db.Model):
    """A short publicity page; knowledge items link to the page that teaches them."""

    __table_args__ = (CheckConstraint(f"category IN {CATEGORIES}", name="category_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    is_published: Mapped[bool] = mapped_column(default=False)
    is_featured: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    translations = relationship(
        "PageTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="page"
    )

    @property
    def title(self):
        """The page's title in the current locale."""
        return self.tr("title")

    def __repr__(self):
        return f"<Page {self.slug}>"


class PageTranslation(db.Model):
    """A page's title and Markdown body in one locale."""

    __table_args__ = (UniqueConstraint("page_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    page = relationship("Page", back_populates="translations")

    def __repr__(self):
        return f"<PageTranslation {self.page_id} {self.locale}>"
