"""Participation: participants per community on the current questionnaire version, and the public board."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from .campaign import get_campaign
from .extensions import db
from .models import Community, StatsDay, Street
from .questionnaire.services import current_version

# Up to this many communities the home page lists every one; a bigger district gets one line per street,
# each linking to its street's board, so a phone never downloads hundreds of entries.
BOARD_INLINE_LIMIT = 20


def participants_by_community(version_id):
    """``{community_id: participants}`` for one version, from the daily rollup of counted attempts.

    The database allows at most one counted attempt per participant and version (uq_response_counted_once),
    so counted attempts are distinct participants. The rollup is updated in the same transaction as each
    response (``flask stats check`` compares it with a recount). Communities nobody answered for are absent.
    """
    if version_id is None:
        return {}
    rows = db.session.execute(
        select(StatsDay.community_id, func.sum(StatsDay.participants))
        .where(StatsDay.version_id == version_id)
        .group_by(StatsDay.community_id)
    )
    return {community_id: int(count) for community_id, count in rows if count}


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
        community,
        False,
        min_count,
        population,
        share,
        target,
        participants,
        participants / population if population else None,
        participants / target if target else None,
    )


def participation_board(campaign=None, version=None, street=None):
    """The public board: ``[(street, [BoardEntry, …]), …]`` in display order, for the current version.

    ``street``: only that street's communities.
    """
    campaign = campaign or get_campaign()
    version = version or current_version()
    counts = participants_by_community(version.id if version is not None else None)
    streets = (
        [street]
        if street is not None
        else db.session.scalars(select(Street).order_by(Street.position, Street.id)).all()
    )
    board = []
    for street in streets:
        entries = [
            board_entry(community, counts.get(community.id, 0), campaign)
            for community in sorted(street.communities, key=lambda c: (c.position, c.id))
        ]
        if entries:
            board.append((street, entries))
    return board


@dataclass(frozen=True)
class StreetEntry:
    """One street on the public board of a large district: its communities' participants against their targets."""

    street: Street
    communities: int
    is_suppressed: bool
    min_count: int
    target: int | None
    participants: int | None
    target_reached: float | None

    @property
    def progress_value(self):
        """The value for a <progress max=target> bar, capped at the target."""
        if self.participants is None or self.target is None:
            return None
        return min(self.participants, self.target)


def street_board(campaign=None, version=None):
    """``[StreetEntry]`` in display order; a street's figures are hidden below the minimum count, like a community's."""
    campaign = campaign or get_campaign()
    version = version or current_version()
    min_count = campaign.min_count or 5
    counts = participants_by_community(version.id if version is not None else None)
    members = {}
    for community_id, street_id, population, share in db.session.execute(
        select(Community.id, Community.street_id, Community.target_population, Community.target_share)
    ):
        people, target, number = members.get(street_id, (0, 0, 0))
        goal = participation_target(population, share or campaign.default_target_share or 0.2)
        members[street_id] = (people + counts.get(community_id, 0), target + (goal or 0), number + 1)
    entries = []
    streets = select(Street).order_by(Street.position, Street.id).options(lazyload(Street.communities))
    for street in db.session.scalars(streets):
        if street.id not in members:
            continue
        people, target, number = members[street.id]
        target = target or None
        if people < min_count:
            entries.append(StreetEntry(street, number, True, min_count, target, None, None))
        else:
            entries.append(
                StreetEntry(street, number, False, min_count, target, people, people / target if target else None)
            )
    return entries


def board_is_inline():
    """True when the home page can list every community (see BOARD_INLINE_LIMIT)."""
    return db.session.scalar(select(func.count()).select_from(Community)) <= BOARD_INLINE_LIMIT
