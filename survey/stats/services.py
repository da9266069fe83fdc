"""The one source of truth for numbers: dashboards, the API and exports all call ``scope_stats``."""

import time
from collections import defaultdict
from copy import copy
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..campaign import get_campaign
from ..extensions import db
from ..i18n import for_locale
from ..models import Community, CommunityTranslation, Response, Street, StreetTranslation
from ..models.base import current_locale
from . import cache
from .counts import Counts, community_counts, item_totals, rollup, rollup_counts, version_items
from .metrics import compute


class Unit:
    """A street or community as the figures need it: id, code, names per locale — plain data, not ORM.

    ``name`` reads the current locale like the models do, so a page or an API call in another
    language names units the same way.
    """

    __slots__ = ("id", "code", "names", "street", "street_id", "target_population", "target_share")

    def __init__(self, id, code, street=None, target_population=None, target_share=None):
        self.id, self.code, self.names, self.street = id, code, {}, street
        self.street_id = street.id if street is not None else None
        self.target_population, self.target_share = target_population, target_share

    def tr(self, field, locale=None):
        """Like ``Translatable.tr``: the name in ``locale`` (default: the current one), with the same fallback."""
        if field != "name":
            raise AttributeError(field)
        return for_locale(self.names, locale or current_locale()) or ""

    @property
    def name(self):
        """The name in the current locale."""
        return self.tr("name")

    def __repr__(self):
        return f"<Unit {self.code}>"


class Directory:
    """Every community (named Units, in street then community order) and street, with lookups by code."""

    def __init__(self, communities, streets):
        self.communities = communities
        self.by_code = {unit.code: unit for unit in communities}
        self.streets = {unit.code: unit for unit in streets}
        self.members = defaultdict(list)
        for unit in communities:
            self.members[unit.street_id].append(unit)


def _read_directory():
    streets = {
        street_id: Unit(street_id, code)
        for street_id, code in db.session.execute(select(Street.id, Street.code).order_by(Street.position, Street.code))
    }
    street_order = {street_id: order for order, street_id in enumerate(streets)}
    communities = [
        Unit(community_id, code, streets[street_id], population, share)
        for community_id, code, street_id, population, share in db.session.execute(
            select(
                Community.id, Community.code, Community.street_id, Community.target_population, Community.target_share
            ).order_by(Community.position, Community.code)
        )
    ]
    by_id = {unit.id: unit for unit in communities}
    for community_id, locale, name in db.session.execute(
        select(CommunityTranslation.community_id, CommunityTranslation.locale, CommunityTranslation.name)
    ):
        if community_id in by_id:
            by_id[community_id].names[locale] = name
    for street_id, locale, name in db.session.execute(
        select(StreetTranslation.street_id, StreetTranslation.locale, StreetTranslation.name)
    ):
        if street_id in streets:
            streets[street_id].names[locale] = name
    # Stable sort: communities keep their own order within each street.
    return Directory(sorted(communities, key=lambda unit: street_order[unit.street_id]), list(streets.values()))


def directory():
    """Every street and community with their names in every locale, kept in the stats cache.

    Shared by every request until the data changes: nothing may change what it holds.
    """
    return cache.cached(
        ("directory",),
        _read_directory,
        responses=False,
        size=lambda found: 600 * (len(found.communities) + len(found.streets)),
    )


def find_community(code):
    """The community Unit with this code (for access checks before anything else is read), or None."""
    return directory().by_code.get(code[:32])


def find_street(code):
    """The street Unit with this code, or None."""
    return directory().streets.get(code[:32])


@dataclass
class ScopeStats:
    """Figures for the communities a viewer may see, their streets, and the whole district."""

    version_id: int
    communities: list  # [(community Unit, Stats)] in street/community order
    streets: list  # [(street Unit, Stats)] streets with at least one visible community
    district: object  # Stats over every community (aggregate only)
    scope: object  # Stats over the visible communities together
    min_count: int


def _target(community, default_share):
    if not community.target_population:
        return None
    return community.target_population * (community.target_share or default_share)


def _unit_stats(counts, communities, items, default_share, min_count):
    population = sum(c.target_population or 0 for c in communities) or None
    targets = [t for t in (_target(c, default_share) for c in communities) if t]
    return compute(counts, items, population, sum(targets) or None, min_count)


class Rollups:
    """The rollup sums of one version for every community, with item totals per street and for the district.

    ``counts``: {community id: Counts without per-item detail}. Street and district sums are worked out
    once per entry (``sums``). Shared by every request until the data changes: nothing may change it.
    """

    def __init__(self, version_id, counts, street_items, district_items, made_with, full_at):
        self.version_id, self.counts = version_id, counts
        self.street_items, self.district_items = street_items, district_items
        # (stamp, structural generation) it was read under, and when it was last read in full.
        self.made_with, self.full_at = made_with, full_at
        self.sums = {}

    def total(self, key, community_ids):
        """A copy of the summed Counts (no per-item detail) of ``community_ids``, remembered under ``key``."""
        found = self.sums.get(key)
        if found is None:
            found = rollup(self.counts[c] for c in community_ids if c in self.counts)
            if key is not None:
                self.sums[key] = found
        return copy(found)


def _read_rollups(version_id):
    made_with = (cache.stamp(), cache.structural_generation())  # read first: what is read after is newer
    return Rollups(
        version_id,
        dict(community_counts(version_id, None, with_items=False)),
        item_totals(version_id, None, group_by_street=True),
        item_totals(version_id, None),
        made_with,
        time.monotonic(),
    )


# At most this many responses added since the last read are brought in one by one; more: read everything.
MAX_ADDED = 2000


def _added_communities(version_id, stale):
    """The communities whose rollups responses added since ``stale`` was read can have changed, or None
    when ``stale`` cannot be brought up to date that way (then everything is read again)."""
    (newest, late, audited), structural = stale.made_with
    current = cache.stamp()
    if (
        current[2] != audited
        or structural != cache.structural_generation()
        or newest is None
        or current[0] is None
        or current[0] < newest
        or time.monotonic() - stale.full_at > current_app.config.get("STATS_CACHE_MAX_AGE", cache.MAX_AGE)
    ):
        return None
    # A response committed after a newer one (PostgreSQL) among the newest ids then: look further back.
    floor = newest
    if (
        db.session.scalar(
            select(func.count()).select_from(Response).where(Response.id > newest - cache.WINDOW, Response.id <= newest)
        )
        != late
    ):
        floor = newest - cache.WINDOW
    # Both reads filter the version in Python: with it in the WHERE clause SQLite picks the version index
    # and scans every response of the version instead of the id range or the participants.
    rows = db.session.execute(
        select(Response.community_id, Response.participant_hash, Response.version_id)
        .where(Response.id > floor)
        .limit(MAX_ADDED + 1)
    ).all()
    if len(rows) > MAX_ADDED:
        return None
    added = [(community_id, participant) for community_id, participant, version in rows if version == version_id]
    changed = {community_id for community_id, _participant in added}
    participants = list({participant for _community, participant in added})
    # A retake changes the learning gain of the community where the participant's counted attempt was.
    for start in range(0, len(participants), 500):
        changed.update(
            community_id
            for community_id, version, is_counted in db.session.execute(
                select(Response.community_id, Response.version_id, Response.is_counted).where(
                    Response.participant_hash.in_(participants[start : start + 500])
                )
            )
            if version == version_id and is_counted
        )
    return changed


def _refresh_rollups(version_id, stale):
    """``stale`` brought up to date by reading again only the communities that responses were added to."""
    made_with = (cache.stamp(), cache.structural_generation())
    changed = _added_communities(version_id, stale)
    if changed is None:
        return None
    counts = dict(stale.counts)
    fresh = rollup_counts(version_id, list(changed), with_items=False) if changed else {}
    for community_id in changed:
        counts.pop(community_id, None)
        if community_id in fresh:
            counts[community_id] = fresh[community_id]
    street_items = dict(stale.street_items)
    members = directory().members
    for street_id in {unit.street_id for unit in directory().communities if unit.id in changed}:
        street_items[street_id] = item_totals(version_id, [unit.id for unit in members[street_id]])
    return Rollups(
        version_id,
        counts,
        street_items,
        item_totals(version_id, None) if changed else stale.district_items,
        made_with,
        stale.full_at,
    )


def _cached_rollups(version_id):
    """The version's Rollups, kept in the stats cache (survey.stats.cache) and so never stale.

    After responses were added (and nothing else changed) only the communities they touch are read
    again; everything is read again after any other change and at least every ``MAX_AGE`` seconds.
    """
    return cache.cached(
        ("rollups", version_id),
        lambda: _read_rollups(version_id),
        size=_rollup_size,
        refresh=lambda stale: _refresh_rollups(version_id, stale),
    )


def _rollup_size(rollups):
    # About 1 KB per community's Counts (its category sums) and 150 bytes per item total.
    return 1024 * len(rollups.counts) + 150 * (
        sum(len(items) for items in rollups.street_items.values()) + len(rollups.district_items)
    )


def scope_stats(version_id, community_ids=None, since=None, until=None, detail="community"):
    """Compute every metric for each visible community, each street and the district.

    ``community_ids``: a collection or SELECT of the ids the viewer may read (None: all).
    ``detail``: "community" gives per-question rates for every visible community (community and street
    pages); "street" gives them per street only (the district page over hundreds of communities).
    """
    campaign = get_campaign()
    min_count, default_share = campaign.min_count or 5, campaign.default_target_share or 0.2
    items = sorted(version_items(version_id).values(), key=lambda item: item.position)
    ranged = since is not None or until is not None
    places = directory()
    all_communities = places.communities
    if community_ids is None:
        visible_ids = {c.id for c in all_communities}
    elif hasattr(community_ids, "subquery") or hasattr(community_ids, "scalar_subquery"):
        visible_ids = set(db.session.scalars(community_ids))
    else:
        visible_ids = set(community_ids)
    visible = [c for c in all_communities if c.id in visible_ids]
    everyone = len(visible) == len(all_communities)
    if ranged:
        all_counts = community_counts(version_id, None, since, until, with_items=False)

        def total(_key, members):
            return rollup(all_counts.get(c.id, Counts()) for c in members)
    else:
        rollups = _cached_rollups(version_id)
        all_counts = rollups.counts  # shared: only read below, per-item detail goes on copies

        def total(key, members):
            return rollups.total(key, [c.id for c in members])

    detailed = {}
    if not ranged and detail == "community" and visible:
        for community_id, counts in rollup_counts(version_id, [c.id for c in visible]).items():
            detailed[community_id] = copy(all_counts.get(community_id) or Counts())
            detailed[community_id].items = counts.items
    # Per-question rates per community only where a page shows them ("community" detail).
    community_items = items if detail == "community" else []
    per_community = [
        (
            c,
            compute(
                detailed.get(c.id) or all_counts.get(c.id) or Counts(),
                community_items,
                c.target_population,
                _target(c, default_share),
                min_count,
            ),
        )
        for c in visible
    ]
    streets = []
    for street in dict.fromkeys(c.street for c in visible):
        members = places.members[street.id]
        counts = total(("street", street.id), members)
        if not ranged:
            counts.items = rollups.street_items.get(street.id, {})
        streets.append((street, _unit_stats(counts, members, items, default_share, min_count)))
    district_counts = total(("district",), all_communities)
    scope_counts = total(("district",), all_communities) if everyone else total(None, visible)
    if not ranged:
        district_counts.items = rollups.district_items
        if everyone:
            scope_counts.items = rollups.district_items
        else:
            scope_counts.items = item_totals(version_id, [c.id for c in visible]) if visible else {}
    district = _unit_stats(district_counts, all_communities, items, default_share, min_count)
    scope = _unit_stats(scope_counts, visible, items, default_share, min_count)
    return ScopeStats(version_id, per_community, streets, district, scope, min_count)
