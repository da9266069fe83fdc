"""A flush-time guard: no session may add, change or delete the content of a version that has responses."""

from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from ..models import (
    AcceptedAnswer,
    Item,
    ItemTranslation,
    Option,
    OptionTranslation,
    Response,
    Section,
    SectionTranslation,
)
from .services import VersionFrozen


def _version_id(session, obj):
    """Find the questionnaire version a piece of content belongs to."""
    if isinstance(obj, (Section, Item)):
        return obj.version_id if obj.version_id is not None else getattr(obj.version, "id", None)
    parent = None
    if isinstance(obj, SectionTranslation):
        parent = obj.section or session.get(Section, obj.section_id)
    elif isinstance(obj, (ItemTranslation, AcceptedAnswer)):
        parent = obj.item or session.get(Item, obj.item_id)
    elif isinstance(obj, Option):
        parent = obj.item or session.get(Item, obj.item_id)
    elif isinstance(obj, OptionTranslation):
        option = obj.option or session.get(Option, obj.option_id)
        parent = option.item if option is not None else None
    return _version_id(session, parent) if parent is not None else None


GUARDED = (Section, SectionTranslation, Item, ItemTranslation, Option, OptionTranslation, AcceptedAnswer)


@event.listens_for(Session, "before_flush")
def refuse_changes_to_answered_versions(session, flush_context, instances):
    """Raise VersionFrozen before any write touches an answered version's content."""
    touched = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, GUARDED)]
    if not touched:
        return
    version_ids = set()
    with session.no_autoflush:
        for obj in touched:
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            version_id = _version_id(session, obj)
            if version_id is not None:
                version_ids.add(version_id)
        for version_id in version_ids:
            if session.scalar(select(exists().where(Response.version_id == version_id))):
                raise VersionFrozen(f"questionnaire version id {version_id} has responses and cannot change")
