"""Participation: participants per community on the current questionnaire version, and the public board."""
from dataclasses import dataclass

from sqlalchemy import func, select

from .campaign import get_campaign
from .extensions import db
from .models import Community, Response, Street
from .questionnaire.services import current_version


def participants_by_community(version_id):
    """``{community_id: participants}`` for one version, from one GROUP BY over the counted attempts.

    The database allows at most one counted attempt per participant and version (uq_response_counted_once),
    so counting counted responses counts distinct participants. Communities nobody answered for are absent.
    """
    if version_id is None:
        return {}
    rows = db.session.execute(
        select(Response.community_id, func.count(Response.id))
        .where(Response.version_id == version_id, Response.is_counted.is_(True))
        .group_by(Response.community_id)
    )
    return {community_id: count for community_id, count in rows}


def effective_share(community, campaign):
    """The community's target share (0–1), or the campaign default when it has none."""
    return community.target_share or campaign.default_target_share or 0.2


def participation_target(population, share):
    """How many participants the target asks for: population × share, at least one; None without a population."""
    if not population:
        return None
    return max(1, round(population * share))


@dataclass(frozen=True)
class BoardEntry:
    """One community on the public board; the figures are None when suppressed (fewer than ``min_count``)."""

    community: Community
    is_suppressed: bool
    min_count: int
    population: int | None
    share: float
    target: int | None
    participants: int | None
    participation_rate: float | None  # participants ÷ population
    target_reached: float | None  # participants ÷ target (may pass 1)

    @property
    def progress_value(self):
        """The value for a <progress max=target> bar, capped at the target."""
        if self.participants is None or self.target is None:
            return None
        return min(self.participants, self.target)


def board_entry(community, participants, campaign):
    """Build a community's board entry, hiding its figures below the campaign's minimum count."""
    min_count = campaign.min_count or 5
    share = effective_share(community, campaign)
    population = community.target_population
    target = participation_target(population, share)
    if participants < min_count:
        return BoardEntry(community, True, min_count, population, share, target, None, None, None)
    return BoardEntry(
        community, False, min_count, population, share, target, participants,
        participants / population if population else None,
        participants / target if target else None,
    )


def participation_board(campaign=None, version=None):
    """The public board: ``[(street, [BoardEntry, …]), …]`` in display order, for the current version."""
    campaign = campaign or get_campaign()
    version = version or current_version()
    counts = participants_by_community(version.id if version is not None else None)
    streets = db.session.scalars(select(Street).order_by(Street.position, Street.id)).all()
    board = []
    for street in streets:
        entries = [board_entry(community, counts.get(community.id, 0), campaign)
                   for community in sorted(street.communities, key=lambda c: (c.position, c.id))]
        if entries:
            board.append((street, entries))
    return board
