"""Streets and communities: create, edit, and import from CSV or XLSX (checked whole, applied all-or-nothing)."""

import codecs
import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..i18n import _
from ..models import Community, Street
from ..models.community import CODE_PATTERN

CODE_RE = re.compile(CODE_PATTERN)
LOCALES = ("zh", "en")
MAX_NAME_LENGTH = 120
MAX_POPULATION = 10_000_000
MAX_ROWS = 5000
MAX_COLUMNS = 40
MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # a 4 MB zip may inflate enormously; refuse before openpyxl reads it
PREVIEW_MAX_AGE = 60 * 60  # seconds a signed preview may be confirmed

COLUMNS = (
    "street_code",
    "street_name_zh",
    "street_name_en",
    "community_code",
    "community_name_zh",
    "community_name_en",
    "target_population",
    "target_share",
)
REQUIRED_COLUMNS = COLUMNS[:-1]
# Header spellings accepted besides the column names themselves (compared after _header_key).
HEADER_ALIASES = {
    "street_code": ("街道代码", "街道编码", "街道编号"),
    "street_name_zh": ("街道名称", "街道中文名", "街道中文名称", "街道名称中文"),
    "street_name_en": ("街道英文名", "街道英文名称", "街道名称英文"),
    "community_code": ("社区代码", "社区编码", "社区编号"),
    "community_name_zh": ("社区名称", "社区中文名", "社区中文名称", "社区名称中文"),
    "community_name_en": ("社区英文名", "社区英文名称", "社区名称英文"),
    "target_population": ("目标人口", "人口", "目标人数", "目标人群"),
    "target_share": ("目标比例", "目标占比", "参与目标", "目标参与率"),
}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _header_key(text):
    return re.sub(r"[\s_\-（）()\[\]【】:：/\ufeff]+", "", str(text or "")).lower()


HEADERS = {_header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in (column, *aliases)}


class CodeTaken(ValueError):
    """Raised when another street or community already uses the code."""


@dataclass(frozen=True)
class Problem:
    """Why (part of) an import file cannot be used; ``line`` is None for the file as a whole."""

    line: int | None
    message: str


class ImportRejected(ValueError):
    """Raised when an import cannot be applied; nothing has changed. ``problems`` says why."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# --- Editing one street or community -------------------------------------------------------------


def names_of(obj):
    """``{locale: name}`` of a street or community."""
    return {row.locale: row.name for row in obj.translations}


def street_snapshot(street):
    """What the audit log keeps of a street."""
    return {"code": street.code, "position": street.position, "names": names_of(street)}


def community_snapshot(community):
    """What the audit log keeps of a community."""
    return {
        "code": community.code,
        "street": community.street.code if community.street else None,
        "position": community.position,
        "names": names_of(community),
        "target_population": community.target_population,
        "target_share": community.target_share,
    }


def _ensure_free(model, code, own_id=None):
    query = select(model.id).where(model.code == code)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise CodeTaken(code)


def _next_position(model, *where):
    return (db.session.scalar(select(func.max(model.position)).where(*where)) or 0) + 1


def _commit(code):
    try:
        db.session.commit()
    except IntegrityError as error:  # another request took the code between our check and the commit
        db.session.rollback()
        raise CodeTaken(code) from error


def _save_street(street, code, names, position, action):
    before = street_snapshot(street) if street.id else None
    street.code = code
    if position is not None:
        street.position = position
    for locale in LOCALES:
        street.set_translation(locale, name=names[locale])
    db.session.flush()
    after = street_snapshot(street)
    if before != after:
        audit.record(action, "street", street.id, {"before": before, "after": after})
    _commit(code)
    return street


def create_street(code, names, position=None):
    """Create a street with a name per locale; raise CodeTaken when the code is in use."""
    _ensure_free(Street, code)
    street = Street(code=code, position=position if position is not None else _next_position(Street))
    db.session.add(street)
    return _save_street(street, code, names, None, "street.create")


def update_street(street, code, names, position=None):
    """Change a street's code, names or order; raise CodeTaken when the code is in use."""
    _ensure_free(Street, code, street.id)
    return _save_street(street, code, names, position, "street.update")


def _save_community(community, street, code, names, target_population, target_share, position, action):
    before = community_snapshot(community) if community.id else None
    community.street = street
    community.code = code
    community.target_population = target_population
    community.target_share = target_share
    if position is not None:
        community.position = position
    for locale in LOCALES:
        community.set_translation(locale, name=names[locale])
    db.session.flush()
    after = community_snapshot(community)
    if before != after:
        audit.record(action, "community", community.id, {"before": before, "after": after})
    _commit(code)
    return community


def create_community(street, code, names, target_population, target_share=None, position=None):
    """Create a community in ``street``; ``target_share`` 0–1 or None for the campaign default."""
    _ensure_free(Community, code)
    if position is None:
        position = _next_position(Community, Community.street_id == street.id)
    community = Community(code=code, position=position)
    db.session.add(community)
    return _save_community(community, street, code, names, target_population, target_share, None, "community.create")


def update_community(community, street, code, names, target_population, target_share=None, position=None):
    """Change a community (it may move to another street); raise CodeTaken when the code is in use."""
    _ensure_free(Community, code, community.id)
    return _save_community(
        community, street, code, names, target_population, target_share, position, "community.update"
    )


# --- Reading an import file ----------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.problem = Problem(line, message)


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(data):
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)  # Excel's "Unicode text"
    elif b"\x00" in data:
        raise _Refused(_("This is not a CSV or XLSX file. Save the sheet as CSV (UTF-8) or XLSX and try again."))
    else:
        encodings = ("utf-8-sig", "gb18030")  # GB18030 also reads GBK, which Excel in China writes
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL_CHARS.search(text):
            break
        return text
    raise _Refused(_("This is not a CSV or XLSX file. Save the sheet as CSV (UTF-8) or XLSX and try again."))


def _csv_records(data):
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for cells in reader:
            yield line + 1, cells  # the line a record starts on (a quoted cell may span lines)
            line = reader.line_num
    except csv.Error as error:
        raise _Refused(_("The CSV file could not be read near line %(line)d.", line=line + 1), line + 1) from error


def _xlsx_records(data):
    from openpyxl import load_workbook

    unreadable = _("This file looks like a spreadsheet but could not be read. Save it again as XLSX or CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise _Refused(unreadable) from error
    if unpacked > MAX_XLSX_UNPACKED:
        raise _Refused(_("The spreadsheet is too large. Split it into smaller files."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001  (openpyxl raises many kinds of errors for bad files)
        raise _Refused(unreadable) from error
    try:
        sheet = workbook.worksheets[0]
        for line, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            yield line, [_cell_text(value) for value in cells]
    except _Refused:
        raise
    except Exception as error:  # noqa: BLE001
        raise _Refused(unreadable) from error
    finally:
        workbook.close()


def _records(data):
    """Yield ``(line, {column: text})`` for each non-blank data row; refuse bad files and bad headers."""
    source = _xlsx_records(data) if data[:2] == b"PK" else _csv_records(data)
    columns, count = None, 0
    for line, cells in source:
        cells = [_cell_text(cell) for cell in cells]
        if not any(cells):
            continue
        if columns is None:
            columns = _header(line, cells)
            continue
        count += 1
        if count > MAX_ROWS:
            raise _Refused(_("The file has more than %(max)d rows. Split it into smaller files.", max=MAX_ROWS))
        yield line, {column: cells[index] if index < len(cells) else "" for column, index in columns.items()}
    if columns is None:
        raise _Refused(_("The file is empty."))


def _header(line, cells):
    columns = {}
    for index, cell in enumerate(cells):
        column = HEADERS.get(_header_key(cell))
        if column is None:
            continue  # extra columns (notes, totals) are ignored
        if column in columns:
            raise _Refused(_("Column %(column)s appears twice in the header.", column=column), line)
        columns[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise _Refused(
            _(
                "The header row lacks these columns: %(columns)s. The first row must name the columns.",
                columns=", ".join(missing),
            ),
            line,
        )
    return columns


def parse_population(text):
    """A positive whole number from text such as ``4200``, ``4,200`` or ``4200.0``; None when it is not one."""
    text = re.sub(r"[\s,，]", "", str(text))
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or not number.is_integer() or not 1 <= number <= MAX_POPULATION:
        return None
    return int(number)


def parse_share(text):
    """A share 0.01–1 from ``0.2``, ``20%`` or ``20``; ``(share or None, ok)``; empty means the campaign default."""
    text = str(text).strip().replace("％", "%")
    if not text:
        return None, True
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        return None, False
    share = number / 100 if text.endswith("%") or number > 1 else number
    if not math.isfinite(share) or not 0.01 <= share <= 1:
        return None, False
    return round(share, 6), True


def check_records(records):
    """Check every record against the rules and the database; return ``(rows, problems)``.

    ``records`` are ``(line, {column: value})``; rows come back as plain dicts with typed values.
    """
    streets = {street.code: street for street in db.session.scalars(select(Street))}
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    street_seen, community_seen = {}, {}
    rows, problems = [], []
    for line, raw in records:
        values = {column: _cell_text(raw.get(column)) for column in COLUMNS}
        reasons = [_("%(column)s is missing.", column=column) for column in REQUIRED_COLUMNS if not values[column]]
        for column in ("street_code", "community_code"):
            written, values[column] = values[column], values[column].lower()  # codes are case-insensitive
            if written and not CODE_RE.match(values[column]):
                reasons.append(
                    _(
                        "%(column)s “%(code)s” is not a valid code: use 2–32 lowercase letters, digits "
                        "or hyphens, starting with a letter or digit.",
                        column=column,
                        code=written,
                    )
                )
        for column in ("street_name_zh", "street_name_en", "community_name_zh", "community_name_en"):
            if len(values[column]) > MAX_NAME_LENGTH:
                reasons.append(_("%(column)s is longer than %(max)d characters.", column=column, max=MAX_NAME_LENGTH))
        population = parse_population(values["target_population"])
        if values["target_population"] and population is None:
            reasons.append(
                _(
                    "target_population “%(value)s” is not a whole number greater than 0.",
                    value=values["target_population"],
                )
            )
        share, share_ok = parse_share(values["target_share"])
        if not share_ok:
            reasons.append(
                _(
                    "target_share “%(value)s” is out of range: use 1%%–100%% (for example 0.2 or 20%%), "
                    "or leave it empty for the campaign default.",
                    value=values["target_share"],
                )
            )
        street_code, code = values["street_code"], values["community_code"]
        names = (values["street_name_zh"], values["street_name_en"])
        if street_code in street_seen and street_seen[street_code][1] != names and all(names):
            reasons.append(
                _(
                    "Street %(code)s has different names on line %(other)d.",
                    code=street_code,
                    other=street_seen[street_code][0],
                )
            )
        if code in community_seen:
            reasons.append(
                _("Community code %(code)s is also on line %(other)d.", code=code, other=community_seen[code])
            )
        existing = communities.get(code)
        if existing is not None and street_code and existing.street.code != street_code:
            reasons.append(
                _(
                    "Community %(code)s already belongs to street %(street)s; move it on its edit page.",
                    code=code,
                    street=existing.street.code,
                )
            )
        if street_code and all(names):
            street_seen.setdefault(street_code, (line, names))
        if code:
            community_seen.setdefault(code, line)
        if reasons:
            problems.extend(Problem(line, reason) for reason in reasons)
            continue
        row = dict(values, line=line, target_population=population, target_share=share)
        row["street_status"] = _street_status(streets.get(street_code), row)
        row["status"], row["changes"] = _community_status(existing, row)
        rows.append(row)
    return rows, problems


def _street_status(street, row):
    if street is None:
        return "new"
    return "unchanged" if names_of(street) == {"zh": row["street_name_zh"], "en": row["street_name_en"]} else "updated"


def _community_status(community, row):
    if community is None:
        return "new", []
    changes = []
    names = names_of(community)
    for locale in LOCALES:
        if names.get(locale) != row[f"community_name_{locale}"]:
            changes.append(f"community_name_{locale}")
    if community.target_population != row["target_population"]:
        changes.append("target_population")
    old, new = community.target_share, row["target_share"]
    if (old is None) != (new is None) or (old is not None and abs(old - new) > 1e-9):
        changes.append("target_share")
    return ("updated" if changes else "unchanged"), changes


def parse_import(filename, data):
    """Read and check a whole CSV or XLSX file: ``(rows, problems)``; rows are only usable when problems is empty.

    The type is told from the content (an XLSX file is a zip, starting ``PK``), not from ``filename``.
    """
    if not data:
        return [], [Problem(None, _("The file is empty."))]
    try:
        records = list(_records(data))
    except _Refused as refused:
        return [], [refused.problem]
    if not records:
        return [], [Problem(None, _("The file has a header row but no data rows."))]
    rows, problems = check_records(records)
    return (rows, problems) if not problems else ([], problems)


def summarise(rows):
    """Counts for the preview and the audit log: new / updated / unchanged streets and communities."""
    streets = {}
    for row in rows:
        streets.setdefault(row["street_code"], row["street_status"])
    count = {f"{kind}_{status}": 0 for kind in ("streets", "communities") for status in ("new", "updated", "unchanged")}
    for status in streets.values():
        count[f"streets_{status}"] += 1
    for row in rows:
        count[f"communities_{row['status']}"] += 1
    return count


def apply_import(rows):
    """Apply checked rows in one transaction: existing codes are updated, new ones created; all or nothing.

    The rows are checked again against the database as it is now; raise ImportRejected (nothing changed)
    when any row no longer passes.
    """
    rows, problems = check_records([(row["line"], row) for row in rows])
    if problems:
        raise ImportRejected(problems)
    streets = {street.code: street for street in db.session.scalars(select(Street))}
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    changed = []  # (action, object, before) recorded once ids exist
    next_street = _next_position(Street)
    for row in rows:
        street = streets.get(row["street_code"])
        if street is None:
            street = streets[row["street_code"]] = Street(code=row["street_code"], position=next_street)
            next_street += 1
            db.session.add(street)
            changed.append(("street.create", street, None))
        elif row["street_status"] == "updated" and not any(obj is street for _action, obj, _b in changed):
            changed.append(("street.update", street, street_snapshot(street)))
        for locale in LOCALES:
            street.set_translation(locale, name=row[f"street_name_{locale}"])
        community = communities.get(row["community_code"])
        if community is None:
            position = max([c.position for c in street.communities] or [0]) + 1
            community = Community(code=row["community_code"], position=position)
            street.communities.append(community)
            changed.append(("community.create", community, None))
        elif row["status"] == "updated":
            changed.append(("community.update", community, community_snapshot(community)))
        else:
            continue
        community.target_population = row["target_population"]
        community.target_share = row["target_share"]
        for locale in LOCALES:
            community.set_translation(locale, name=row[f"community_name_{locale}"])
    summary = summarise(rows)
    try:
        db.session.flush()
        for action, obj, before in changed:
            kind, snapshot = (
                ("street", street_snapshot) if isinstance(obj, Street) else ("community", community_snapshot)
            )
            audit.record(action, kind, obj.id, {"source": "import", "before": before, "after": snapshot(obj)})
        audit.record("community.import", "community", None, summary)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ImportRejected(
            [
                Problem(
                    None,
                    _(
                        "Another change was saved at the same time, so nothing was "
                        "imported. Please upload the file again."
                    ),
                )
            ]
        ) from error
    return summary


# --- Carrying checked rows from the preview to the confirmation, with no server-side state -------

FIELDS = ("line", *COLUMNS)


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="communities-import")


def sign_rows(rows, staff_id):
    """A signed, compressed token holding the checked rows, for the preview's hidden field."""
    return _serializer().dumps({"staff": staff_id, "rows": [[row[field] for field in FIELDS] for row in rows]})


def load_signed_rows(token, staff_id):
    """The rows from ``sign_rows``; raise ImportRejected when expired, BadSignature when forged or for another user."""
    try:
        payload = _serializer().loads(token, max_age=PREVIEW_MAX_AGE)
    except SignatureExpired as error:
        raise ImportRejected([Problem(None, _("The preview has expired. Please upload the file again."))]) from error
    if not isinstance(payload, dict) or payload.get("staff") != staff_id or not isinstance(payload.get("rows"), list):
        raise BadSignature("payload not for this user")
    rows = []
    for values in payload["rows"]:
        if not isinstance(values, list) or len(values) != len(FIELDS):
            raise BadSignature("malformed row")
        rows.append(dict(zip(FIELDS, values, strict=True)))
    return rows
