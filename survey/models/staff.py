"""Staff accounts, their server-side sessions, API tokens and the audit log."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

ROLES = ("admin", "editor", "district", "street", "community")


class StaffUser(UserMixin, db.Model):
    """A staff member; the role decides what they may read and change.

    ``session_id`` is set (not stored on this row) when the account is loaded for a login session.
    """

    session_id = None

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role_known"),
        CheckConstraint("role <> 'street' OR street_id IS NOT NULL", name="street_scope"),
        CheckConstraint("role <> 'community' OR community_id IS NOT NULL", name="community_scope"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    street = relationship("Street")
    community = relationship("Community")

    def get_id(self):
        """Flask-Login stores the login session's id, never the account id."""
        return self.session_id

    def __repr__(self):
        return f"<StaffUser {self.username} {self.role}>"


class StaffSession(db.Model):
    """A login: its random id is the only thing the session cookie names, so logout really ends it."""

    __tablename__ = "staff_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    staff = relationship("StaffUser", lazy="joined")

    def __repr__(self):
        return f"<StaffSession of {self.staff_id}>"


class AuditEntry(db.Model):
    """Who changed what, when; written in the same transaction as the change."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff = relationship("StaffUser")

    def __repr__(self):
        return f"<AuditEntry {self.action} {self.target_type}:{self.target_id}>"
