"""axe-core scans of every kind of page, in Chinese and English, in large text and high contrast; page weights.

axe-core is vendored under ``vendor/`` (axe.min.js with its MPL-2.0 licence) and injected with
``page.add_script_tag``. Our Content-Security-Policy blocks that injected script (it is inline), as
``test_csp_blocks_an_injected_script`` shows, so the scan contexts alone are made with ``bypass_csp=True``;
every other browser test runs under the real policy.
"""

import contextlib
import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .a11y import (
    ensure_dashboard_data,
    ensure_staff,
    first_page_slug,
    forward_with_errors,
    log_in,
    press_toggle,
    start_survey,
    walk_survey,
)
from .conftest import SCREENSHOTS, shot

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")
STAFF = "a11y-axe"
# (browser locale, display toggles pressed): both languages, large text, high contrast, and both at once.
MODES = [
    ("zh-CN", ()),
    ("en-US", ()),
    ("zh-CN", ("large",)),
    ("zh-CN", ("contrast",)),
    ("en-US", ("large", "contrast")),
]
SHOWN_IN_EVERY_MODE = ("home", "section-1-errors", "section-3", "result", "login", "district-dashboard")
# Survey page sizes: under 100 KB transferred, everything from this site.
WEIGHT_LIMIT = 100 * 1024


def mode_id(mode):
    locale, toggles = mode
    return "-".join([locale, *toggles]) if toggles else locale


def axe_scan(page, enhanced_contrast):
    """Run axe-core on the page; return its violations as plain dicts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"]}
    if enhanced_contrast:
        # High contrast promises WCAG AAA text contrast (7:1, 4.5:1 for large text): check it.
        options["rules"] = {"color-contrast-enhanced": {"enabled": True}}
    return page.evaluate(
        """async (options) => {
          const result = await axe.run(document, options);
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''}))
          }));
        }""",
        options,
    )


class Scanner:
    """Scans pages for one mode and keeps every violation, for the report and the assertion."""

    def __init__(self, page, name, enhanced_contrast, every_screenshot):
        self.page, self.name, self.enhanced = page, name, enhanced_contrast
        self.every_screenshot = every_screenshot
        self.results = {}

    def scan(self, label):
        expect(self.page.locator("main")).to_be_visible()
        self.results[label] = axe_scan(self.page, self.enhanced)
        # Every page in the two plain modes; the few that show most in large text and high contrast (keeps it fast).
        if self.every_screenshot or label in SHOWN_IN_EVERY_MODE:
            shot(self.page, f"axe-{self.name}-{label}")

    def report(self):
        """A readable report: counts by impact per page, then every violation with its elements."""
        lines = [f"axe-core {self.name}: {len(self.results)} pages"]
        for label, violations in self.results.items():
            counts = Counter(v["impact"] for v in violations)
            summary = ", ".join(f"{impact} {counts[impact]}" for impact in IMPACTS if counts[impact]) or "none"
            lines.append(f"  {label}: {summary}")
            for v in violations:
                lines.append(f"    [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
                for node in v["nodes"][:5]:
                    last = node["summary"].splitlines()[-1] if node["summary"] else ""
                    lines.append(f"        {node['target']} — {last}")
        return "\n".join(lines)

    def blocking(self):
        return {
            label: [
                f"{v['impact']} {v['id']} at {[n['target'] for n in v['nodes'][:5]]}"
                for v in violations
                if v["impact"] in BLOCKING
            ]
            for label, violations in self.results.items()
            if any(v["impact"] in BLOCKING for v in violations)
        }


@pytest.fixture(scope="module")
def axe_context_factory(browser, live_server):
    """Phone-sized contexts that may inject axe-core (bypass_csp=True: the CSP blocks injected scripts)."""
    ensure_dashboard_data(live_server)
    ensure_staff(live_server.app, STAFF)
    contexts = []

    def make(locale):
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            base_url=str(live_server),
            bypass_csp=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("mode", MODES, ids=[mode_id(mode) for mode in MODES])
def test_axe_finds_no_serious_or_critical_violations(axe_context_factory, live_app, answer_key, mode, capsys):
    locale, toggles = mode
    page = axe_context_factory(locale).new_page()
    scanner = Scanner(page, mode_id(mode), enhanced_contrast="contrast" in toggles, every_screenshot=not toggles)

    page.goto("/")
    for setting in toggles:  # switched on with the visible control, as a resident would
        press_toggle(page, setting)
    root_classes = page.locator("html").get_attribute("class") or ""
    assert ("text-large" in root_classes) == ("large" in toggles)
    assert ("contrast-high" in root_classes) == ("contrast" in toggles)

    scanner.scan("home")
    page.goto(f"/pages/{first_page_slug(live_app)}")
    scanner.scan("publicity-page")
    page.goto("/privacy")
    scanner.scan("privacy")
    page.goto("/pages/no-such-page")
    scanner.scan("not-found")
    page.goto("/survey/")
    scanner.scan("choose-community")

    start_survey(page)
    forward_with_errors(page)  # nothing answered: the page comes back with its errors marked
    scanner.scan("section-1-errors")
    walk_survey(page, answer_key, lambda number: scanner.scan(f"section-{number}"))
    scanner.scan("result")

    page.goto("/admin/login")
    scanner.scan("login")
    log_in(page, STAFF)
    page.goto("/admin/dashboard/community/lianhu")
    scanner.scan("community-dashboard")
    page.goto("/admin/dashboard/district")
    scanner.scan("district-dashboard")

    report = scanner.report()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"axe-{scanner.name}.json").write_text(json.dumps(scanner.results, ensure_ascii=False, indent=1))
    with capsys.disabled():
        print("\n" + report)
    assert scanner.blocking() == {}, report


def test_csp_blocks_an_injected_script(phone):
    """Why the scan contexts bypass the CSP: under the real policy an injected (inline) script never runs."""
    page = phone.new_page()
    page.goto("/")
    with contextlib.suppress(Exception):  # Playwright may also report the blocked script as an error
        page.add_script_tag(content="window.injectedByTest = true;")
    assert page.evaluate("window.injectedByTest === undefined")


# ---------------------------------------------------------------- light pages


def transferred(context, page, url):
    """Load ``url`` with the cache off; return (total bytes transferred, [(url, bytes, type)])."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    seen, sizes = {}, {}
    cdp.on("Network.responseReceived", lambda e: seen.__setitem__(e["requestId"], (e["response"]["url"], e["type"])))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    cdp.detach()
    rows = [(seen[key][0], int(size), seen[key][1]) for key, size in sizes.items() if key in seen]
    return sum(size for _, size, _ in rows), rows


def test_pages_are_light_and_load_nothing_from_other_hosts(phone, live_server, answer_key, capsys):
    page = phone.new_page()
    host = urlsplit(str(live_server)).netloc
    weights = {}

    def measure(label, url):
        total, rows = transferred(phone, page, url)
        weights[label] = (total, rows)
        foreign = [row for row in rows if urlsplit(row[0]).netloc not in (host, "")]
        assert foreign == [], f"{label} loads from other hosts: {foreign}"
        assert [row for row in rows if row[2] == "Font"] == [], f"{label} loads a web font"
        return total

    measure("home", "/")
    start_survey(page)

    def survey_part(number):
        total = measure(f"survey part {number}", f"/survey/section/{number}")
        assert total < WEIGHT_LIMIT, f"survey part {number} weighs {total} bytes"
        kinds = {row[2] for row in weights[f"survey part {number}"][1]}
        assert {"Document", "Stylesheet", "Script"} <= kinds  # the page, its CSS and its JavaScript all counted

    walk_survey(page, answer_key, survey_part)
    measure("result", page.url)

    with capsys.disabled():
        print("\nPage weights (bytes transferred, cache off, as served without compression):")
        for label, (total, rows) in weights.items():
            parts = ", ".join(f"{urlsplit(url).path.rsplit('/', 1)[-1] or '/'} {size}" for url, size, _ in rows)
            print(f"  {label}: {total} ({total / 1024:.1f} KB) — {parts}")


def test_stylesheets_use_system_fonts_only():
    """No @font-face and no font files: the system's own (CJK) fonts are used."""
    static = Path(__file__).resolve().parents[2] / "survey" / "static"
    for css in static.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "@font-face" not in text, css.name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), f"{css.name} loads from another host"
    assert not [path.name for path in static.rglob("*") if path.suffix in (".woff", ".woff2", ".ttf", ".otf")]
