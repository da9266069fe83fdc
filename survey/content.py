"""Staff-written Markdown: cleaned when saved, rendered to HTML and sanitised with an allow-list when shown."""

import html
import re

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "a",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Images only from our own uploads (see survey/pages_admin): never another host, never data: URLs.
MEDIA_SRC = re.compile(r"^/media/[A-Za-z0-9_-]{16,32}(?:\.(?:png|jpg|gif|webp))?$")
# Elements whose content goes with them (nh3 removes these contents too).
CONTENT_TAGS = ("script", "style")


def _attribute_filter(tag, attribute, value):
    if tag == "img" and attribute == "src":
        return value if MEDIA_SRC.match(value) else None
    return value


def sanitise_html(html_text):
    """Keep only allow-listed tags, attributes and URL schemes; images only from /media/."""
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(source):
    """Render Markdown to sanitised HTML, marked safe only after cleaning."""
    html_text = markdown.markdown(source or "", extensions=["sane_lists", "tables"], output_format="html")
    return Markup(sanitise_html(html_text))  # noqa: S704  (cleaned by nh3 with an allow-list just above)


# --- Cleaning at save time -------------------------------------------------------------------------
# The source stays Markdown, but raw HTML that the renderer would drop is dropped before it is stored,
# so a stored page never carries a payload that a future renderer (or a careless template) could revive.

# What Python-Markdown treats as inline raw HTML (its HTML_RE), plus declarations and processing instructions.
COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
RAW_HTML = re.compile(r"<(?:!\[CDATA\[.*?\]\]|![A-Za-z][^>]*|\?.*?\?|/?[a-zA-Z][^<>@ ]*(?: [^<>]*)?)>", re.DOTALL)
CONTENT_ELEMENT = re.compile(
    r"<\s*(" + "|".join(CONTENT_TAGS) + r")\b[^>]*>.*?(?:<\s*/\s*\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
TAG_NAME = re.compile(r"^<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)(?=[\s/>])")
AUTOLINK = re.compile(r"^<(?:https?|ftp)://[^<>\s]*>$", re.IGNORECASE)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff]")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
REFERENCE_DEFINITION = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*<?)([^\s>]+)", re.MULTILINE)
# nh3 writes attributes double-quoted with '"' escaped, so this finds the end of the tag it returns.
CLEAN_OPENING_TAG = re.compile(r'<[a-z0-9]+(?:\s+[^\s=>]+(?:="[^"]*")?)*\s*/?>')
INLINE_DESTINATION = re.compile(r"\]\([ \t]*<?")


def url_is_safe(url):
    """True when a link target has no scheme, or one of the allowed schemes, as a browser would read it."""
    previous = None
    while previous != url:  # entities may be nested (&amp;#106;): decode until nothing changes
        previous, url = url, html.unescape(url)
    url = re.sub(r"[\x00-\x20\x7f]", "", url)
    match = SCHEME.match(url)
    return match is None or match.group(1).lower() in URL_SCHEMES


def _clean_tag(match):
    tag = match.group(0)
    if AUTOLINK.match(tag):
        return tag if url_is_safe(tag[1:-1]) else ""
    name = TAG_NAME.match(tag)
    if name is None or name.group(2).lower() not in ALLOWED_TAGS:
        return ""  # comments, declarations, unknown or forbidden elements
    closing, tag_name = name.group(1), name.group(2).lower()
    if closing:
        return f"</{tag_name}>"
    cleaned = CLEAN_OPENING_TAG.match(sanitise_html(tag))
    return cleaned.group(0) if cleaned else ""


def _destination_end(text, start):
    """Where an inline link destination starting at ``start`` ends (balanced parentheses, no spaces)."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        # Tabs and newlines are not ends: browsers drop them inside URLs ("java\tscript:").
        if char in " >" or (char == ")" and depth == 0):
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return min(index, len(text))


def _clean_link_destinations(text):
    parts, position = [], 0
    for match in INLINE_DESTINATION.finditer(text):
        if match.start() < position:
            continue
        start = match.end()
        end = _destination_end(text, start)
        parts.append(text[position:start])
        destination = text[start:end]
        parts.append(destination if url_is_safe(destination) else "#")
        position = end
    parts.append(text[position:])
    text = "".join(parts)
    return REFERENCE_DEFINITION.sub(lambda m: m.group(1) + (m.group(2) if url_is_safe(m.group(2)) else "#"), text)


def clean_markdown(source, max_rounds=10):
    """Return Markdown ``source`` without raw HTML the renderer would drop and without unsafe link targets."""
    text = CONTROL_CHARS.sub("", (source or "").replace("\r\n", "\n").replace("\r", "\n"))
    for _round in range(max_rounds):  # removing one tag can join two halves into another: repeat until stable
        before = text
        text = CONTENT_ELEMENT.sub("", COMMENT.sub("", text))
        text = RAW_HTML.sub(_clean_tag, text)
        text = _clean_link_destinations(text)
        if text == before:
            return text
    return text.replace("<", "&lt;")  # still changing: keep the words, lose every tag


def clean_plain_text(text, max_rounds=10):
    """Return one line of plain text (a title): no tags, no control characters, single spaces."""
    text = CONTROL_CHARS.sub("", text or "")
    for _round in range(max_rounds):
        before = text
        text = RAW_HTML.sub("", CONTENT_ELEMENT.sub("", COMMENT.sub("", text)))
        if text == before:
            break
    else:
        text = text.replace("<", "")
    return " ".join(text.split())
