"""Two complete languages: catalogs, locale choice order, <html lang>, localised dates."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from survey.i18n import LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def catalog(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def template_ids():
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_interface_string_is_translated(locale):
    messages = [message for message in catalog(locale) if message.id]
    untranslated = [
        message.id
        for message in messages
        if (not all(message.string) if isinstance(message.string, tuple) else not message.string)
    ]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == [], f"{locale}: untranslated {untranslated}"
    assert fuzzy == [], f"{locale}: fuzzy {fuzzy}"
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in messages}
    missing = template_ids() - ids
    assert missing == set(), f"{locale}: catalog lacks {missing}; run `flask --app app translate update`"


def test_source_strings_in_code_are_all_extracted():
    """The .pot is current: re-extracting finds no string it lacks."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "fresh.pot"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "-F",
                "babel.cfg",
                "-k",
                "_l",
                "-k",
                "N_",
                "-o",
                str(output),
                ".",
            ],
            cwd=TRANSLATIONS.parent,
            check=True,
            capture_output=True,
        )
        with open(output, "rb") as handle:
            fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert fresh - template_ids() == set(), "run `flask --app app translate update` and translate the new strings"


def test_default_language_is_simplified_chinese(client):
    page = client.get("/", headers={"Accept-Language": ""})
    assert '<html lang="zh-Hans">' in page.text
    assert "练习问卷" in page.text


def test_browser_preferring_english_gets_english(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    assert "Take the practice survey" in page.text
    assert "练习问卷" not in page.text.split("<main")[1].split("</main>")[0]


def test_explicit_choice_is_remembered_and_beats_the_browser(client):
    response = client.get("/language/zh?next=/privacy", headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/privacy"
    page = client.get("/survey/", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in page.text
    client.get("/language/en?next=/")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text


def test_language_switch_never_redirects_off_site(client):
    for target in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert client.get("/language/fr").status_code == 404


@pytest.mark.parametrize("path", ["/", "/survey/", "/c/lianhu", "/privacy", "/pages/why-campaign", "/nope"])
@pytest.mark.parametrize(("accept", "lang", "word"), [("zh-CN", "zh-Hans", "隐私"), ("en", "en", "Privacy")])
def test_every_public_page_renders_in_each_language(client, path, accept, lang, word):
    page = client.get(path, headers={"Accept-Language": accept})
    assert page.status_code in (200, 404)
    assert f'<html lang="{lang}">' in page.text
    assert word in page.text


def test_staff_written_content_follows_the_locale(client):
    zh = client.get("/pages/why-campaign", headers={"Accept-Language": "zh-CN"}).text
    en = client.get("/pages/why-campaign", headers={"Accept-Language": "en"}).text
    assert "全国文明城市" in zh
    assert "National Civilized City" in en


def test_dates_and_numbers_are_localised(survey, client):
    done = survey.complete()
    zh = client.get(done.headers["Location"], headers={"Accept-Language": "zh-CN"}).text
    client.get("/language/en")
    en = client.get(done.headers["Location"]).text
    assert "年" in zh.split('class="muted"')[1][:80]
    assert "年" not in en.split('class="muted"')[1][:80]
    assert "100%" in en  # every answer right: knowledge awareness 100%


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_translations_keep_their_placeholders(locale):
    """Babel's own checks: a translation with different placeholders would fail at compile time."""
    problems = []
    messages = catalog(locale)
    for message in messages:
        if message.id:
            problems += [(message.id, str(error)) for error in message.check(messages)]
    assert problems == []
