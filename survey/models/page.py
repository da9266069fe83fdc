"""Publicity pages residents read, with per-locale title and Markdown body."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
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
    translations = relationship("PageTranslation", lazy="selectin", cascade="all, delete-orphan", back_populates="page")

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


class PageRevision(db.Model):
    """A snapshot of a page as saved: every save adds one, so nothing staff wrote is ever lost."""

    __tablename__ = "page_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    # {"category": ..., "is_published": ..., "is_featured": ..., "translations": {locale: {"title", "body"}}}
    content: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    staff = relationship("StaffUser")
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    def __repr__(self):
        return f"<PageRevision {self.page_id} #{self.number}>"


class PageImage(db.Model):
    """An image uploaded by an editor, kept in the database so every server process can serve it."""

    __tablename__ = "page_image"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<PageImage {self.token} {self.content_type}>"
