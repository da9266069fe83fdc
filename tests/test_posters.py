"""QR posters: the A4 page, the QR code as PNG and SVG, the public address, and who may print which."""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own SVG output, not untrusted input

import pytest
import segno

from survey.posters.services import Progress
from tests.conftest import SurveyDriver

EN = {"Accept-Language": "en"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def answered(app):
    """Three residents of Lianhu have answered."""
    for _number in range(3):
        SurveyDriver(app, app.test_client()).complete("lianhu")
    return app


def test_poster_shows_site_community_address_call_to_action_and_progress(answered, client, auth):
    auth.as_role("community")
    page = client.get("/admin/posters/lianhu", headers=EN)
    assert page.status_code == 200
    assert "Qingchuan District Civility Survey" in page.text
    assert "Lianhu Community" in page.text
    assert "http://localhost/c/lianhu" in page.text
    assert "Scan to take the practice survey — 5 minutes, anonymous" in page.text
    # Lianhu: 3 residents of a 6,800 × 20% = 1,360 target (demo data) — the bar and the figures.
    assert re.search(r"3 of [\d,]+ residents have taken part", page.text)
    assert '<rect class="poster-bar-fill"' in page.text
    assert 'class="poster-qr-code"' in page.text
    assert "css/posters.css" in page.text


def test_poster_page_is_clean_under_the_strict_csp(client, auth):
    auth.as_role("admin")
    page = client.get("/admin/posters/lianhu")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # No inline style or script (the site's own script files are allowed by the policy).
    assert "style=" not in page.text and "<style" not in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page.text)


def test_poster_honours_public_base_url(app, client, auth):
    app.config["PUBLIC_BASE_URL"] = "https://survey.example.gov.cn/"
    auth.as_role("admin")
    page = client.get("/admin/posters/binhe")
    assert "https://survey.example.gov.cn/c/binhe" in page.text


def test_qr_png_is_a_real_png_that_encodes_the_address(client, auth):
    auth.as_role("street")
    response = client.get("/admin/posters/lianhu.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.headers["Content-Disposition"] == "attachment; filename=qr-lianhu.png"
    assert len(response.data) > 200


def test_qr_svg_parses_and_matches_segno(app, client, auth):
    auth.as_role("district")
    response = client.get("/admin/posters/binhe.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "http://localhost/c/binhe"
    assert root.find(f".//{SVG}path") is not None
    assert b"style=" not in response.data
    expected = segno.make("http://localhost/c/binhe", error="m", micro=False)
    assert int(root.get("width")) == (expected.symbol_size(scale=10, border=4)[0])


def test_index_lists_the_communities_each_role_may_print(client, auth):
    auth.as_role("street")
    page = client.get("/admin/posters/", headers=EN).text
    assert "/admin/posters/lianhu" in page and "/admin/posters/taoyuan" in page
    assert "/admin/posters/binhe" not in page


def test_index_for_community_staff_has_only_their_community(client, auth):
    auth.as_role("community")
    page = client.get("/admin/posters/", headers=EN).text
    assert re.findall(r'href="/admin/posters/([a-z0-9-]+)"', page) == ["lianhu"]


POSTER_PATHS = [
    "/admin/posters/",
    "/admin/posters/lianhu",
    "/admin/posters/lianhu.png",
    "/admin/posters/lianhu.svg",
    "/admin/posters/taoyuan",
    "/admin/posters/taoyuan.svg",
    "/admin/posters/binhe",
    "/admin/posters/binhe.png",
]
ALLOWED = {
    "admin": set(POSTER_PATHS),
    "district": set(POSTER_PATHS),
    "street": set(POSTER_PATHS) - {"/admin/posters/binhe", "/admin/posters/binhe.png"},
    "community": {"/admin/posters/", "/admin/posters/lianhu", "/admin/posters/lianhu.png", "/admin/posters/lianhu.svg"},
    "editor": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_prints_only_its_own_communities(client, auth, role):
    auth.as_role(role)
    for path in POSTER_PATHS:
        assert client.get(path).status_code == (200 if path in ALLOWED[role] else 403), (role, path)


def test_unknown_community_is_404_and_anonymous_visitors_must_log_in(client, auth):
    for path in ["/admin/posters/", "/admin/posters/lianhu", "/admin/posters/lianhu.png"]:
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    auth.as_role("admin")
    for path in [
        "/admin/posters/atlantis",
        "/admin/posters/atlantis.png",
        "/admin/posters/atlantis.svg",
        "/admin/posters/" + "x" * 300,
        "/admin/posters/lianhu.gif",
    ]:
        assert client.get(path).status_code == 404, path


def test_progress_without_a_target_or_beyond_it():
    assert Progress(5, None).percent is None and not Progress(5, None).is_reached
    assert Progress(0, 100).percent == 0 and Progress(0, 100).bar_percent == 0
    beyond = Progress(250, 100)
    assert beyond.percent == 250 and beyond.bar_percent == 100 and beyond.is_reached
