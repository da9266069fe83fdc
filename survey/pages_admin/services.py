"""Publicity pages for editors: save with a revision, restore, compare, preview, and image uploads."""

import difflib
import io
import json
import re
import secrets

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from .. import audit
from ..content import clean_markdown, clean_plain_text
from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Page, PageImage, PageRevision
from ..models.base import utcnow
from ..models.page import CATEGORIES

LOCALES = tuple(LANGUAGES)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FLAGS = ("slug", "category", "position", "is_published", "is_featured")
# System notes are stored as codes and translated where they are shown.
NOTE_CREATED, NOTE_ORIGINAL, NOTE_RESTORED = "system:created", "system:original", "system:restored:"


class PageError(ValueError):
    """A page edit that cannot be saved; ``code`` says why, ``locale`` which language (if any)."""

    def __init__(self, code, locale=None):
        super().__init__(code)
        self.code, self.locale = code, locale


# --- Snapshots --------------------------------------------------------------------------------------


def page_data(page):
    """The page's full editable content as a plain dict (what a revision stores)."""
    rows = {row.locale: row for row in page.translations}
    return {
        "slug": page.slug,
        "category": page.category,
        "position": page.position or 0,
        "is_published": bool(page.is_published),
        "is_featured": bool(page.is_featured),
        "translations": {
            code: {"title": rows[code].title, "body": rows[code].body or ""}
            if code in rows
            else {"title": "", "body": ""}
            for code in LOCALES
        },
    }


def normalise(data):
    """Clean what an editor sent: plain-text titles, Markdown without unsafe HTML, every locale present."""
    translations = data.get("translations") or {}
    return {
        "slug": (data.get("slug") or "").strip(),
        "category": data.get("category") or "",
        "position": int(data.get("position") or 0),
        "is_published": bool(data.get("is_published")),
        "is_featured": bool(data.get("is_featured")),
        "translations": {
            code: {
                "title": clean_plain_text((translations.get(code) or {}).get("title"))[:200],
                "body": clean_markdown((translations.get(code) or {}).get("body")).strip("\n"),
            }
            for code in LOCALES
        },
    }


def revision_data(revision):
    """A revision's snapshot, with defaults for keys older snapshots may lack."""
    stored = json.loads(revision.content)
    data = {"slug": "", "category": "", "position": 0, "is_published": False, "is_featured": False}
    data.update({key: stored[key] for key in FLAGS if key in stored})
    data["translations"] = {
        code: {"title": "", "body": "", **(stored.get("translations", {}).get(code) or {})} for code in LOCALES
    }
    return data


def check(data, page=None):
    """Raise PageError when ``data`` (normalised) cannot be saved for ``page`` (None for a new page)."""
    if not SLUG_PATTERN.match(data["slug"]) or len(data["slug"]) > 64:
        raise PageError("bad_slug")
    taken = select(Page.id).where(Page.slug == data["slug"])
    if page is not None and page.id is not None:
        taken = taken.where(Page.id != page.id)
    if db.session.scalar(taken) is not None:
        raise PageError("slug_taken")
    if data["category"] not in CATEGORIES:
        raise PageError("bad_category")
    if data["is_published"]:
        for code in LOCALES:
            if not data["translations"][code]["title"]:
                raise PageError("title_needed", code)


def _apply(page, data):
    for key in FLAGS:
        setattr(page, key, data[key])
    for code in LOCALES:
        text = data["translations"][code]
        row = next((row for row in page.translations if row.locale == code), None)
        if text["title"] or text["body"]:
            page.set_translation(code, title=text["title"], body=text["body"])
        elif row is not None:
            page.translations.remove(row)  # no row at all, so residents fall back to the other language
    page.updated_at = utcnow()  # translation-only edits do not touch the page row by themselves


# --- Revisions --------------------------------------------------------------------------------------


def latest_number(page):
    """The highest revision number of ``page`` (0 when it has none)."""
    return db.session.scalar(select(func.max(PageRevision.number)).where(PageRevision.page_id == page.id)) or 0


def _add_revision(page, data, staff, note, created_at=None):
    revision = PageRevision(
        page_id=page.id,
        number=latest_number(page) + 1,
        note=(note or None) and note[:200],
        content=json.dumps(data, ensure_ascii=False, sort_keys=True),
        staff_id=staff.id if staff else None,
    )
    if created_at is not None:
        revision.created_at = created_at
    db.session.add(revision)
    db.session.flush()
    return revision


def keep_original(page):
    """Give a page saved before revisions existed (the demo pages) revision 1 from its current state."""
    if page.id is not None and latest_number(page) == 0:
        _add_revision(page, page_data(page), None, NOTE_ORIGINAL, created_at=page.updated_at or page.created_at)


def save_page(page, data, staff, note=None, expected_revision=None):
    """Create (``page`` None) or update a page and keep a revision; return (page, revision or None if unchanged).

    ``expected_revision`` is the revision the editor started from; a different latest one means someone
    else saved in between, and PageError("stale") is raised instead of silently overwriting their work.
    """
    data = normalise(data)
    check(data, page)
    creating = page is None
    if creating:
        page = Page()
        db.session.add(page)
    else:
        if expected_revision is not None and latest_number(page) != expected_revision:
            raise PageError("stale")
        keep_original(page)
        if page_data(page) == data:
            db.session.commit()  # the original revision, if one was just made
            return page, None
    _apply(page, data)
    db.session.flush()
    revision = _add_revision(page, data, staff, clean_plain_text(note) or (NOTE_CREATED if creating else None))
    audit.record(
        "page.create" if creating else "page.update",
        "page",
        page.id,
        {"slug": page.slug, "revision": revision.number, "is_published": page.is_published},
        staff=staff,
    )
    db.session.commit()
    return page, revision


def restore_revision(page, revision, staff):
    """Make an old revision's content current as a NEW revision; return (revision or None, slug_kept).

    The slug is restored only when no other page uses it now (``slug_kept`` is then True).
    """
    data = revision_data(revision)
    slug_kept = False
    try:
        check(dict(data, is_published=False), page)
    except PageError as error:
        if error.code != "slug_taken":
            raise
        data["slug"], slug_kept = page.slug, True
    keep_original(page)
    if page_data(page) == data:
        db.session.commit()
        return None, slug_kept
    _apply(page, data)
    db.session.flush()
    new = _add_revision(page, data, staff, f"{NOTE_RESTORED}{revision.number}")
    audit.record(
        "page.restore",
        "page",
        page.id,
        {"slug": page.slug, "from": revision.number, "revision": new.number},
        staff=staff,
    )
    db.session.commit()
    return new, slug_kept


def page_revisions(page):
    """The page's revisions, newest first."""
    return db.session.scalars(
        select(PageRevision).where(PageRevision.page_id == page.id).order_by(PageRevision.number.desc())
    ).all()


def get_revision(page, number):
    """One revision of ``page`` by number, or None."""
    return db.session.scalar(select(PageRevision).where(PageRevision.page_id == page.id, PageRevision.number == number))


def note_code(note):
    """Split a stored note into (kind, value): ("created"|"original"|"restored"|"text", detail)."""
    if note == NOTE_CREATED:
        return "created", None
    if note == NOTE_ORIGINAL:
        return "original", None
    if note and note.startswith(NOTE_RESTORED) and note[len(NOTE_RESTORED) :].isdigit():
        return "restored", int(note[len(NOTE_RESTORED) :])
    return "text", note


# --- Listing and preview ------------------------------------------------------------------------------


def list_pages():
    """Every page in category order, each with its latest revision (or None): [(page, revision)]."""
    pages = db.session.scalars(select(Page)).all()
    latest_ids = select(func.max(PageRevision.id)).group_by(PageRevision.page_id)
    revisions = db.session.scalars(select(PageRevision).where(PageRevision.id.in_(latest_ids)))
    latest = {revision.page_id: revision for revision in revisions}
    pages.sort(key=lambda p: (CATEGORIES.index(p.category) if p.category in CATEGORIES else 99, p.position, p.id))
    return [(page, latest.get(page.id)) for page in pages]


def preview_page(data):
    """A page that is never saved, holding ``data`` cleaned exactly as saving would clean it."""
    data = normalise(data)
    page = Page(**{key: data[key] for key in FLAGS})
    for code in LOCALES:
        text = data["translations"][code]
        if text["title"] or text["body"]:
            page.set_translation(code, title=text["title"], body=text["body"])
    return page


def published_others(page_id=None):
    """Published pages other than ``page_id``, as the public page lists them."""
    query = select(Page).where(Page.is_published.is_(True)).order_by(Page.position, Page.id)
    if page_id is not None:
        query = query.where(Page.id != page_id)
    return db.session.scalars(query).all()


# --- Differences ----------------------------------------------------------------------------------------

CONTEXT_LINES = 2
# Below this similarity two paired lines are shown as wholly different, not with the changed words marked.
SIMILAR_ENOUGH = 0.5


def _line(kind, old_number, new_number, text, segments=None):
    return {
        "kind": kind,
        "old": old_number,
        "new": new_number,
        "text": text,
        "segments": segments if segments is not None else [(False, text)],
    }


def _segments(before, after):
    """Mark the changed stretches inside a pair of similar lines: (old segments, new segments) or None."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    if matcher.ratio() < SIMILAR_ENOUGH:
        return None
    old, new = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            old.append((tag != "equal", before[i1:i2]))
        if j2 > j1:
            new.append((tag != "equal", after[j1:j2]))
    return old, new


def _changed_block(old_lines, new_lines, i1, i2, j1, j2):
    removed = [_line("removed", i + 1, None, old_lines[i]) for i in range(i1, i2)]
    added = [_line("added", None, j + 1, new_lines[j]) for j in range(j1, j2)]
    for old_line, new_line in zip(removed, added, strict=False):  # line k of the old block became line k
        marked = _segments(old_line["text"], new_line["text"])
        if marked:
            old_line["segments"], new_line["segments"] = marked
    return removed + added


def _line_diff(old, new):
    """Line changes between two texts, as dicts (kind, old, new, text, segments); long unchanged runs skipped."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines = []
    opcodes = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag != "equal":
            lines += _changed_block(old_lines, new_lines, i1, i2, j1, j2)
            continue
        run = i2 - i1
        head = CONTEXT_LINES if index > 0 else 0
        tail = CONTEXT_LINES if index < len(opcodes) - 1 else 0
        shown = range(run) if run <= head + tail + 1 else [*range(head), None, *range(run - tail, run)]
        for offset in shown:
            if offset is None:
                lines.append({"kind": "skip", "count": run - head - tail})
            else:
                lines.append(_line("same", i1 + offset + 1, j1 + offset + 1, old_lines[i1 + offset]))
    return lines


def compare(old, new):
    """What changed between two snapshots: {"fields": [(key, old, new)], "texts": [{locale, field, lines}]}."""
    fields = [(key, old[key], new[key]) for key in FLAGS if old[key] != new[key]]
    texts = []
    for code in LOCALES:
        for field in ("title", "body"):
            before, after = old["translations"][code][field], new["translations"][code][field]
            texts.append(
                {
                    "locale": code,
                    "field": field,
                    "changed": before != after,
                    "lines": _line_diff(before, after) if before != after else [],
                }
            )
    return {"fields": fields, "texts": texts, "changed": bool(fields) or any(t["changed"] for t in texts)}


# --- Images ------------------------------------------------------------------------------------------

IMAGE_TYPES = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = {extension: content_type for content_type, extension in IMAGE_TYPES.values()}
EXTENSION_OF = {content_type: extension for content_type, extension in IMAGE_TYPES.values()}
MAX_PIXELS = 40_000_000
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


class ImageError(ValueError):
    """An upload that is not an acceptable image: "empty", "too_large", "not_an_image", "too_many_pixels"."""


def read_image(stream, max_bytes, max_pixels=MAX_PIXELS):
    """Read and check an upload by its content; return (bytes, content_type, width, height)."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise ImageError("empty")
    if len(data) > max_bytes:
        raise ImageError("too_large")
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as probe:
            if probe.format not in IMAGE_TYPES:
                raise ImageError("not_an_image")
            if probe.width * probe.height > max_pixels:
                raise ImageError("too_many_pixels")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:  # verify() leaves it unusable
            image_format, (width, height) = image.format, image.size
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError("too_many_pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError("not_an_image") from error
    return data, IMAGE_TYPES[image_format][0], width, height


def store_image(stream, staff, max_bytes):
    """Check an upload and keep it under a random token; raise ImageError (nothing stored) when refused."""
    data, content_type, width, height = read_image(stream, max_bytes)
    image = PageImage(
        token=secrets.token_urlsafe(16),
        content_type=content_type,
        data=data,
        width=width,
        height=height,
        staff_id=staff.id if staff else None,
    )
    db.session.add(image)
    db.session.flush()
    audit.record(
        "page_image.upload",
        "page_image",
        image.id,
        {"token": image.token, "type": content_type, "bytes": len(data)},
        staff=staff,
    )
    db.session.commit()
    return image


def image_filename(image):
    """``<token>.<extension>``: the name under /media/."""
    return f"{image.token}.{EXTENSION_OF[image.content_type]}"


def find_image(filename):
    """The image named ``<token>`` or ``<token>.<extension>`` (extension must match), or None."""
    token, _dot, extension = filename.partition(".")
    if not TOKEN_PATTERN.match(token) or (extension and extension not in EXTENSIONS):
        return None
    image = db.session.scalar(select(PageImage).where(PageImage.token == token))
    if image is None or (extension and EXTENSIONS[extension] != image.content_type):
        return None
    return image


def recent_images(limit=12):
    """The newest uploads first."""
    query = select(PageImage).options(defer(PageImage.data)).order_by(PageImage.id.desc()).limit(limit)
    return db.session.scalars(query).all()
