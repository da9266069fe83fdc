"""Campaign settings, read by every page (site name, inspection day) and by the statistics."""
from datetime import date

from sqlalchemy import select

from . import audit
from .extensions import db
from .models import Campaign


def get_campaign():
    """Return the campaign settings row, or unsaved defaults when none exists yet."""
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id).limit(1))
    return campaign if campaign is not None else Campaign(default_target_share=0.2, min_count=5)


def days_to_inspection(campaign, today=None):
    """Whole days from today to inspection day; None without a date, negative once it has passed."""
    if campaign.inspection_date is None:
        return None
    return (campaign.inspection_date - (today or date.today())).days


def update_campaign(site_names, inspection_date, default_target_share, min_count):
    """Save the settings (creating the row on first save) and record it in the audit log."""
    campaign = get_campaign()
    if campaign.id is None:
        db.session.add(campaign)
    before = {"inspection_date": campaign.inspection_date, "default_target_share": campaign.default_target_share,
              "min_count": campaign.min_count,
              "site_names": {row.locale: row.site_name for row in campaign.translations}}
    campaign.inspection_date = inspection_date
    campaign.default_target_share = default_target_share
    campaign.min_count = min_count
    for locale, name in site_names.items():
        campaign.set_translation(locale, site_name=name)
    db.session.flush()
    after = {"inspection_date": inspection_date, "default_target_share": default_target_share,
             "min_count": min_count, "site_names": site_names}
    audit.record("settings.update", "campaign", campaign.id, {"before": before, "after": after})
    db.session.commit()
    return campaign
