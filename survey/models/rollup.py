"""Pre-aggregated counts kept in step with responses, so dashboards never scan every answer.

Each row holds sums only, updated in the same transaction as the response it counts; the stats
service adds rows up, and ``flask --app app stats check`` compares them with a recount.
"""

from datetime import date

from sqlalchemy import Float, ForeignKey, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class StatsDay(db.Model):
    """Counted attempts of one version in one community on one day (UTC)."""

    __tablename__ = "stats_day"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    participants: Mapped[int] = mapped_column(default=0)
    scored_attempts: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    score_squares: Mapped[float] = mapped_column(Float, default=0.0)
    knowledge_correct: Mapped[int] = mapped_column(default=0)
    knowledge_answers: Mapped[int] = mapped_column(default=0)
    # Of ``participants``, how many answered in assisted mode on a community worker's phone.
    assisted: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    def __repr__(self):
        return f"<StatsDay v{self.version_id} c{self.community_id} {self.day}>"


class StatsItem(db.Model):
    """Answers to one item in counted attempts of one community (all days)."""

    __tablename__ = "stats_item"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), primary_key=True)
    answered: Mapped[int] = mapped_column(default=0)
    scored: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)
    positive: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<StatsItem v{self.version_id} c{self.community_id} i{self.item_id}>"


class StatsGain(db.Model):
    """Learning gain sums of the participants whose counted attempt was in one community (all days)."""

    __tablename__ = "stats_gain"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    participants: Mapped[int] = mapped_column(default=0)
    gain_sum: Mapped[float] = mapped_column(Float, default=0.0)
    gain_squares: Mapped[float] = mapped_column(Float, default=0.0)

    def __repr__(self):
        return f"<StatsGain v{self.version_id} c{self.community_id}>"
