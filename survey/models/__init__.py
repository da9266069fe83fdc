"""All models, importable from one place."""
from .community import Community, CommunityTranslation, Street, StreetTranslation
from .page import Page, PageTranslation
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
from .response import Answer, AnswerChoice, Response

__all__ = [
    "AcceptedAnswer", "Answer", "AnswerChoice", "Community", "CommunityTranslation", "Item",
    "ItemTranslation", "Option", "OptionTranslation", "Page", "PageTranslation", "QuestionnaireVersion",
    "Response", "Section", "SectionTranslation", "Street", "StreetTranslation",
]
