"""All models, importable from one place."""

from .api import ApiToken
from .campaign import Campaign, CampaignTranslation
from .community import Community, CommunityTranslation, Street, StreetTranslation
from .page import Page, PageImage, PageRevision, PageTranslation
from .questionnaire import (
    AcceptedAnswer,
    Item,
    ItemTranslation,
    Option,
    OptionTranslation,
    QuestionnaireVersion,
    Section,
    SectionTranslation,
)
from .response import Response, StoredAnswer, pack_answers, split_packed, unpack_answers
from .rollup import StatsDay, StatsGain, StatsItem
from .staff import ROLES, AuditEntry, StaffSession, StaffUser

__all__ = [
    "ApiToken",
    "ROLES",
    "AuditEntry",
    "Campaign",
    "CampaignTranslation",
    "PageImage",
    "PageRevision",
    "StaffSession",
    "StaffUser",
    "StatsDay",
    "StatsGain",
    "StatsItem",
    "AcceptedAnswer",
    "Community",
    "CommunityTranslation",
    "Item",
    "ItemTranslation",
    "Option",
    "OptionTranslation",
    "Page",
    "PageTranslation",
    "QuestionnaireVersion",
    "Response",
    "Section",
    "SectionTranslation",
    "StoredAnswer",
    "Street",
    "StreetTranslation",
    "pack_answers",
    "split_packed",
    "unpack_answers",
]
