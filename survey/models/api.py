"""API tokens: a staff member's key to the statistics API, stored only as a hash."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class ApiToken(db.Model):
    """A bearer token that reads exactly what its staff member may read; only its SHA-256 is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # Hex SHA-256 of the token: tokens are 32 random bytes, so a fast hash cannot be brute-forced.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    staff = relationship("StaffUser", lazy="joined")

    @property
    def is_live(self):
        """True until the token is revoked."""
        return self.revoked_at is None

    def __repr__(self):
        return f"<ApiToken {self.name!r} of {self.staff_id}>"
