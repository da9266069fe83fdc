"""The one source of truth for numbers: dashboards, the API and exports all call ``scope_stats``."""
from collections import OrderedDict, defaultdict
from copy import copy
from dataclasses import dataclass

from sqlalchemy import func, select

from ..campaign import get_campaign
from ..extensions import db
from ..i18n import for_locale
from ..models import Community, CommunityTranslation, Response, Street, StreetTranslation
from ..models.base import current_locale
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


def directory():
    """Every street and community as Units without names, in street then community order: ``[community Unit]``."""
    streets = {street_id: Unit(street_id, code) for street_id, code in db.session.execute(
        select(Street.id, Street.code).order_by(Street.position, Street.code))}
    street_order = {street_id: order for order, street_id in enumerate(streets)}
    communities = [Unit(community_id, code, streets[street_id], population, share)
                   for community_id, code, street_id, population, share in db.session.execute(
                       select(Community.id, Community.code, Community.street_id, Community.target_population,
                              Community.target_share).order_by(Community.position, Community.code))]
    # Stable sort: communities keep their own order within each street.
    return sorted(communities, key=lambda unit: street_order[unit.street_id])


def name_units(communities, everyone=False):
    """Fill in the names (every locale) of ``communities`` and of their streets; ``everyone`` skips the filter."""
    by_id = {unit.id: unit for unit in communities}
    streets = {unit.street.id: unit.street for unit in communities}
    query = select(CommunityTranslation.community_id, CommunityTranslation.locale, CommunityTranslation.name)
    if not everyone:
        query = query.where(CommunityTranslation.community_id.in_(by_id))
    for community_id, locale, name in db.session.execute(query):
        if community_id in by_id:
            by_id[community_id].names[locale] = name
    query = select(StreetTranslation.street_id, StreetTranslation.locale, StreetTranslation.name)
    if not everyone:
        query = query.where(StreetTranslation.street_id.in_(streets))
    for street_id, locale, name in db.session.execute(query):
        if street_id in streets:  # a street without communities yet has names but no figures
            streets[street_id].names[locale] = name


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


# Rollup reads keyed by the newest response: any new response changes the key, so a cached entry is
# never stale. Per process, a few entries (one per database and version in use).
_CACHE = OrderedDict()
_CACHE_SIZE = 8


def _data_key(version_id):
    # Two statements: SQLite answers a lone MAX() from the index, but scans for two in one query.
    newest_id = db.session.scalar(select(func.max(Response.id)))
    newest_at = db.session.scalar(select(func.max(Response.submitted_at)))
    return (str(db.engine.url), version_id, newest_id, newest_at)


def _cached_rollups(version_id):
    """(counts per community without per-item detail, item totals per street, district item totals)."""
    key = _data_key(version_id)
    found = _CACHE.get(key)
    if found is None:
        found = (dict(community_counts(version_id, None, with_items=False)),
                 item_totals(version_id, None, group_by_street=True), item_totals(version_id, None))
        _CACHE[key] = found
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


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
    if ranged:
        all_counts = community_counts(version_id, None, since, until, with_items=False)
    else:
        cached_counts, cached_street_items, cached_district_items = _cached_rollups(version_id)
        # Copies: per-item detail is attached below and must not leak into the cache.
        all_counts = defaultdict(Counts, {cid: copy(counts) for cid, counts in cached_counts.items()})
    all_communities = directory()
    if community_ids is None:
        visible_ids = {c.id for c in all_communities}
    elif hasattr(community_ids, "subquery") or hasattr(community_ids, "scalar_subquery"):
        visible_ids = set(db.session.scalars(community_ids))
    else:
        visible_ids = set(community_ids)
    visible = [c for c in all_communities if c.id in visible_ids]
    if visible:
        name_units(visible, everyone=len(visible) == len(all_communities))
    if not ranged and detail == "community" and visible:
        for community_id, counts in rollup_counts(version_id, [c.id for c in visible]).items():
            all_counts[community_id].items = counts.items
    # Per-question rates per community only where a page shows them ("community" detail).
    community_items = items if detail == "community" else []
    per_community = [
        (c, compute(all_counts.get(c.id, Counts()), community_items, c.target_population,
                    _target(c, default_share), min_count))
        for c in visible
    ]
    street_items = {} if ranged else cached_street_items
    members_of = defaultdict(list)
    for c in all_communities:
        members_of[c.street_id].append(c)
    streets = []
    for street in dict.fromkeys(c.street for c in visible):
        members = members_of[street.id]
        counts = rollup(all_counts.get(c.id, Counts()) for c in members)
        if not ranged:
            counts.items = street_items.get(street.id, {})
        streets.append((street, _unit_stats(counts, members, items, default_share, min_count)))
    district_counts = rollup(all_counts.values())
    scope_counts = rollup(all_counts.get(c.id, Counts()) for c in visible)
    if not ranged:
        district_counts.items = cached_district_items
        if len(visible) == len(all_communities):
            scope_counts.items = cached_district_items
        else:
            scope_counts.items = item_totals(version_id, [c.id for c in visible]) if visible else {}
    district = _unit_stats(district_counts, all_communities, items, default_share, min_count)
    scope = _unit_stats(scope_counts, visible, items, default_share, min_count)
    return ScopeStats(version_id, per_community, streets, district, scope, min_count)
