"""The one source of truth for numbers: dashboards, the API and exports all call ``scope_stats``."""
from dataclasses import dataclass

from sqlalchemy import select

from ..campaign import get_campaign
from ..extensions import db
from ..models import Community, Street
from .counts import Counts, community_counts, item_totals, rollup, rollup_counts, version_items
from .metrics import compute


@dataclass
class ScopeStats:
    """Figures for the communities a viewer may see, their streets, and the whole district."""

    version_id: int
    communities: list  # [(Community, Stats)] in street/community order
    streets: list  # [(Street, Stats)] streets with at least one visible community
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
    all_counts = community_counts(version_id, None, since, until, with_items=False)
    all_communities = db.session.scalars(
        select(Community).join(Street).order_by(Street.position, Street.code, Community.position, Community.code)
    ).all()
    if community_ids is None:
        visible_ids = {c.id for c in all_communities}
    elif hasattr(community_ids, "subquery") or hasattr(community_ids, "scalar_subquery"):
        visible_ids = set(db.session.scalars(community_ids))
    else:
        visible_ids = set(community_ids)
    visible = [c for c in all_communities if c.id in visible_ids]
    if not ranged and detail == "community" and visible:
        for community_id, counts in rollup_counts(version_id, [c.id for c in visible]).items():
            all_counts[community_id].items = counts.items
    per_community = [
        (c, compute(all_counts.get(c.id, Counts()), items, c.target_population, _target(c, default_share),
                    min_count))
        for c in visible
    ]
    street_items = {} if ranged else item_totals(version_id, None, group_by_street=True)
    streets = []
    for street_id in dict.fromkeys(c.street_id for c in visible):
        members = [c for c in all_communities if c.street_id == street_id]
        counts = rollup(all_counts.get(c.id, Counts()) for c in members)
        if not ranged:
            counts.items = street_items.get(street_id, {})
        streets.append((members[0].street, _unit_stats(counts, members, items, default_share, min_count)))
    district_counts = rollup(all_counts.values())
    scope_counts = rollup(all_counts.get(c.id, Counts()) for c in visible)
    if not ranged:
        district_counts.items = item_totals(version_id, None)
        scope_counts.items = item_totals(version_id, [c.id for c in visible]) if visible else {}
    district = _unit_stats(district_counts, all_communities, items, default_share, min_count)
    scope = _unit_stats(scope_counts, visible, items, default_share, min_count)
    return ScopeStats(version_id, per_community, streets, district, scope, min_count)
