"""Campaign settings, read by every page (site name, inspection day) and by the statistics."""

from dataclasses import dataclass
from datetime import date

from flask import g
from sqlalchemy import select

from . import audit, localtime, snapshots
from .extensions import db
from .i18n import for_locale
from .models import Campaign
from .models.base import current_locale


@dataclass(frozen=True)
class CampaignSettings:
    """A read-only copy of the campaign settings, with the reading side of ``Campaign`` (kept per process)."""

    id: int | None
    inspection_date: date | None
    default_target_share: float
    min_count: int
    site_names: dict

    def tr(self, field, locale=None):
        """``Campaign.tr`` for the one translated field, ``site_name``."""
        if field != "site_name":
            return ""
        return for_locale(self.site_names, locale or current_locale()) or ""

    @property
    def site_name(self):
        """The site's name in the current locale."""
        return self.tr("site_name")


def get_campaign():
    """Return the campaign settings row, or unsaved defaults when none exists yet.

    The row is read once per request (kept while it stays in the request's session); pages that only show
    the settings use ``campaign_settings()``, which needs no query at all.
    """
    campaign = g.get("_campaign_row")
    if campaign is not None and campaign in db.session:
        return campaign
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id).limit(1))
    if campaign is None:
        return Campaign(default_target_share=0.2, min_count=5)
    g._campaign_row = campaign
    return campaign


def _read_settings():
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id).limit(1))
    if campaign is None:
        return CampaignSettings(None, None, 0.2, 5, {})
    return CampaignSettings(
        campaign.id,
        campaign.inspection_date,
        campaign.default_target_share,
        campaign.min_count,
        {row.locale: row.site_name for row in campaign.translations},
    )


def campaign_settings():
    """The campaign settings as a read-only copy kept per process (see survey.snapshots for how fresh)."""
    return snapshots.get("campaign", _read_settings)


def days_to_inspection(campaign, today=None):
    """Whole days from today (the district's, by default) to inspection day; None without a date, negative
    once it has passed."""
    if campaign.inspection_date is None:
        return None
    return (campaign.inspection_date - (today or localtime.today())).days


def update_campaign(site_names, inspection_date, default_target_share, min_count):
    """Save the settings (creating the row on first save) and record it in the audit log."""
    campaign = get_campaign()
    if campaign.id is None:
        db.session.add(campaign)
    before = {
        "inspection_date": campaign.inspection_date,
        "default_target_share": campaign.default_target_share,
        "min_count": campaign.min_count,
        "site_names": {row.locale: row.site_name for row in campaign.translations},
    }
    campaign.inspection_date = inspection_date
    campaign.default_target_share = default_target_share
    campaign.min_count = min_count
    for locale, name in site_names.items():
        campaign.set_translation(locale, site_name=name)
    db.session.flush()
    after = {
        "inspection_date": inspection_date,
        "default_target_share": default_target_share,
        "min_count": min_count,
        "site_names": site_names,
    }
    audit.record("settings.update", "campaign", campaign.id, {"before": before, "after": after})
    db.session.commit()
    return campaign
