"""The audit log: record every staff change with who and when, in the caller's transaction."""

import json

from flask_login import current_user

from .extensions import db
from .models import AuditEntry


def record(action, target_type, target_id=None, detail=None, staff=None):
    """Add an audit entry to the session (committed with the change it describes)."""
    if staff is None and current_user and getattr(current_user, "is_authenticated", False):
        staff = current_user
    entry = AuditEntry(
        staff_id=staff.id if staff is not None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail is not None else None,
    )
    db.session.add(entry)
    return entry
