"""Staff-written Markdown rendered to HTML and cleaned with an allow-list sanitiser."""
import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "a", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise_html(html):
    """Keep only allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(source):
    """Render Markdown to sanitised HTML, marked safe only after cleaning."""
    html = markdown.markdown(source or "", extensions=["sane_lists", "tables"], output_format="html")
    return Markup(sanitise_html(html))  # noqa: S704  (cleaned by nh3 with an allow-list just above)
