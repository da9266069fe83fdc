"""Dashboards: what each role may read, the numbers shown, filters and bad input."""

import re

import pytest

from survey.questionnaire.services import current_version
from survey.stats.services import scope_stats
from tests.conftest import SurveyDriver

EN = {"Accept-Language": "en"}


@pytest.fixture
def answered(app):
    """Six residents of Lianhu and one of Binhe have answered (one of each with a wrong answer)."""
    for _ in range(6):
        SurveyDriver(app, app.test_client()).complete("lianhu")
    SurveyDriver(app, app.test_client()).complete("binhe")
    return app


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("community", "/admin/dashboard/community/lianhu", 200),
        ("community", "/admin/dashboard/community/taoyuan", 403),  # same street, other community
        ("community", "/admin/dashboard/community/binhe", 403),
        ("community", "/admin/dashboard/street/s-hehua", 403),
        ("community", "/admin/dashboard/district", 403),
        ("street", "/admin/dashboard/street/s-hehua", 200),
        ("street", "/admin/dashboard/community/taoyuan", 200),
        ("street", "/admin/dashboard/street/s-jiangbin", 403),
        ("street", "/admin/dashboard/community/binhe", 403),
        ("street", "/admin/dashboard/district", 403),
        ("district", "/admin/dashboard/district", 200),
        ("district", "/admin/dashboard/street/s-jiangbin", 200),
        ("district", "/admin/dashboard/community/binhe", 200),
        ("editor", "/admin/dashboard/district", 403),
        ("editor", "/admin/dashboard/community/lianhu", 403),
        ("admin", "/admin/dashboard/district", 200),
    ],
)
def test_each_role_reads_only_the_communities_it_covers(auth, client, role, path, status):
    auth.as_role(role)
    assert client.get(path).status_code == status


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("community", "/admin/dashboard/community/lianhu"),
        ("street", "/admin/dashboard/street/s-hehua"),
        ("district", "/admin/dashboard/district"),
        ("admin", "/admin/dashboard/district"),
    ],
)
def test_dashboard_home_sends_each_role_to_its_widest_view(auth, client, role, target):
    auth.as_role(role)
    assert client.get("/admin/dashboard/").headers["Location"].startswith(target)


def test_unknown_codes_and_versions_are_404(auth, client):
    auth.as_role("admin")
    for path in [
        "/admin/dashboard/community/atlantis",
        "/admin/dashboard/street/s-none",
        "/admin/dashboard/district?version=99",
        "/admin/dashboard/community/" + "x" * 300,
    ]:
        assert client.get(path).status_code == 404, path


def test_bad_filters_are_reported_not_fatal(auth, client):
    auth.as_role("admin")
    for query in [
        "since=tomorrow",
        "since=2026-02-30",
        "until=2020-01-01&since=2021-01-01",
        "version=abc",
        "sort=%3Cscript%3E",
        "order=sideways",
    ]:
        page = client.get(f"/admin/dashboard/district?{query}", headers=EN)
        assert page.status_code == 200, query
    page = client.get("/admin/dashboard/district?until=2020-01-01&since=2021-01-01", headers=EN)
    assert "The end date is before the start date." in page.text


def test_community_dashboard_shows_the_service_numbers(answered, auth, client):
    auth.as_role("community")
    page = client.get("/admin/dashboard/community/lianhu", headers=EN)
    with answered.app_context():
        version = current_version()
        result = scope_stats(version.id, None)
        lianhu = next(stats for community, stats in result.communities if community.code == "lianhu")
    assert lianhu.participants == 6
    assert '<p class="stat-value">6' in page.text
    assert "100.0%" in page.text  # everyone answered every knowledge question right
    assert "Most-missed questions" in page.text
    assert '<svg viewBox="0 0' in page.text and "Show the figures as a table" in page.text


def test_small_numbers_are_suppressed(answered, auth, client):
    auth.as_role("admin")
    page = client.get("/admin/dashboard/community/binhe", headers=EN)
    assert page.status_code == 200
    assert "too few responses" in page.text  # one participant, minimum five


def test_district_ranking_sorts_by_the_chosen_measure(answered, auth, client):
    auth.as_role("district")
    page = client.get("/admin/dashboard/district?sort=participants&order=desc", headers=EN)
    ranking = page.text.split('class="data-table ranking"')[1]
    assert ranking.index("Lianhu Community") < ranking.index("Binhe Community")
    page = client.get("/admin/dashboard/district?sort=participants&order=asc", headers=EN)
    ranking = page.text.split('class="data-table ranking"')[1]
    assert ranking.index("Binhe Community") < ranking.index("Lianhu Community")
    assert 'aria-sort="ascending"' in page.text


def test_every_ranked_community_links_to_its_own_dashboard(answered, auth, client):
    auth.as_role("district")
    ranking = client.get("/admin/dashboard/district", headers=EN).text.split('class="data-table ranking"')[1]
    links = re.findall(r'<a href="(/admin/dashboard/community/[^"]+)">([^<]+)</a>', ranking)
    assert ("/admin/dashboard/community/lianhu?version=1", "Lianhu Community") in links
    assert len(links) == 9 and len({href for href, _name in links}) == 9
    for href, _name in links:
        assert client.get(href, headers=EN).status_code == 200


def test_heat_map_marks_weak_spots(answered, auth, client):
    auth.as_role("admin")
    page = client.get("/admin/dashboard/district", headers=EN)
    assert 'class="heat-map"' in page.text and "heat-0" in page.text


def test_suppressed_rates_and_points_read_in_chinese(answered, auth, client):
    """One resident in Binhe: its rates say "too few responses" in the reader's language; a gain reads in points."""
    auth.as_role("admin")
    page = client.get("/admin/dashboard/community/binhe", headers={"Accept-Language": "zh-CN"}).text
    assert "样本过少" in page and "too few responses" not in page
    from survey.stats.intervals import Rate
    from survey.templating import rate_display

    with answered.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert rate_display(Rate(0.092, 0.08, 0.1, 622), points=True) == "+9.2 个百分点"
    with answered.test_request_context(headers={"Accept-Language": "en"}):
        assert rate_display(Rate(0.092, 0.08, 0.1, 622), points=True) == "+9.2 pts"
