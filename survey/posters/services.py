"""What a poster shows: the community's public survey address, its QR code and participation so far."""

import io
import os
from dataclasses import dataclass

import segno
from flask import current_app, url_for

from ..questionnaire.services import current_version
from ..stats.services import scope_stats

QR_ERROR_LEVEL = "m"  # survives a crease or a smudge; segno raises it further when the size allows


def public_base_url():
    """``PUBLIC_BASE_URL`` (config, else environment) when the site sits behind a proxy; None to use the request."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL") or "").strip()
    if base.startswith(("https://", "http://")):
        return base.rstrip("/")
    return None


def survey_url(community):
    """The absolute address a resident's phone opens from the poster: ``/c/<code>``."""
    base = public_base_url()
    if base:
        return base + url_for("questionnaire.community_entry", code=community.code)
    return url_for("questionnaire.community_entry", code=community.code, _external=True)


def qr_code(community):
    """The QR code (a segno object) for the community's survey address."""
    return segno.make(survey_url(community), error=QR_ERROR_LEVEL, micro=False)


def qr_svg(community, inline=False):
    """The QR code as SVG: a standalone file, or (``inline``) markup for the poster page, with no style attributes."""
    qr = qr_code(community)
    if inline:
        return qr.svg_inline(scale=1, border=2, svgclass="poster-qr-code", lineclass="poster-qr-line", omitsize=True)
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        scale=10,
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=True,
        svgns=True,
        title=survey_url(community),
    )
    return buffer.getvalue()


def qr_png(community):
    """The QR code as a PNG big enough to print (10 px per module, a 4-module quiet zone)."""
    buffer = io.BytesIO()
    qr_code(community).save(buffer, kind="png", scale=10, border=4, dark="#000", light="#fff")
    return buffer.getvalue()


@dataclass
class Progress:
    """Participants so far against the community's participation target (None without a target)."""

    participants: int
    target: int | None

    @property
    def percent(self):
        """Share of the target reached in whole per cent (may pass 100), or None without a target."""
        if not self.target:
            return None
        return round(100 * self.participants / self.target)

    @property
    def bar_percent(self):
        """The bar's length, 0–100."""
        return min(100, self.percent or 0)

    @property
    def is_reached(self):
        """True once the target is met."""
        return bool(self.target) and self.participants >= self.target


def progress(community):
    """Participation of the current questionnaire version, from the stats service."""
    version = current_version()
    if version is None:
        return Progress(0, None)
    stats = scope_stats(version.id, [community.id]).communities[0][1]
    return Progress(stats.participants, round(stats.target) if stats.target else None)
