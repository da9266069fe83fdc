"""The published questionnaire and the campaign settings kept per process (survey.snapshots).

A change made in this process is seen at once; one made elsewhere (another worker, another machine)
within ``snapshots.MAX_AGE`` seconds; a warm survey page makes no query at all.
"""

import re

from sqlalchemy import event, select, text

from survey import snapshots
from survey.bank import services as bank
from survey.campaign import campaign_settings, update_campaign
from survey.extensions import db
from survey.models import Campaign
from survey.questionnaire.services import current_version
from survey.questionnaire.structure import current_view

EN = {"Accept-Language": "en-US,en;q=0.9"}


def _site_name(client):
    return re.search(r"<span>([^<]*)</span>\s*</a>", client.get("/survey/section/1", headers=EN).text).group(1)


def test_a_warm_survey_page_makes_no_query(survey, client, app):
    survey.start()
    client.get("/survey/section/1")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/survey/section/1").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_campaign_edit_in_this_process_is_seen_at_once(survey, client, app):
    survey.start()
    assert _site_name(client) != "Renamed District"
    with app.test_request_context():
        update_campaign({"en": "Renamed District"}, None, 0.3, 6)
    assert _site_name(client) == "Renamed District"
    with app.test_request_context():
        assert campaign_settings().min_count == 6 and campaign_settings().default_target_share == 0.3


def test_publishing_a_version_sends_residents_back_to_the_start_at_once(survey, client, app):
    survey.start()
    assert client.get("/survey/section/1").status_code == 200
    with app.test_request_context(headers=EN):
        new = bank.publish_version(bank.open_draft())
        new_id = new.id
    moved = client.get("/survey/section/1", headers=EN)
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/survey/")
    assert "The questionnaire has been updated since you started" in client.get("/survey/", headers=EN).text
    survey.start()
    assert f'data-version="{new_id}"' in client.get("/survey/section/1").text
    with app.test_request_context():
        assert current_view().id == current_version().id == new_id


def test_a_change_from_elsewhere_is_seen_within_the_bound(survey, client, app, monkeypatch):
    survey.start()
    before = _site_name(client)
    seen = snapshots._generation
    with app.app_context():  # another process: straight to the database
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE campaign_translation SET site_name = 'Elsewhere' WHERE locale = 'en'"))
    snapshots._generation = seen  # this process's statement watcher saw it; another process's would not
    assert _site_name(client) == before  # still the snapshot
    now = snapshots.time.monotonic()
    monkeypatch.setattr(snapshots.time, "monotonic", lambda: now + snapshots.MAX_AGE + 0.01)
    assert _site_name(client) == "Elsewhere"


def test_a_rolled_back_change_is_not_kept(app):
    with app.test_request_context(headers=EN):
        before = campaign_settings().site_name
    with app.test_request_context(headers=EN):
        campaign = db.session.scalar(select(Campaign))
        campaign.set_translation("en", site_name="Never saved")
        db.session.flush()
        app.config["SNAPSHOT_MAX_AGE"] = 0  # read it now, inside the transaction
        assert campaign_settings().site_name == "Never saved"
        del app.config["SNAPSHOT_MAX_AGE"]
        db.session.rollback()
        assert campaign_settings().site_name == before


def test_one_request_sees_one_snapshot(app, monkeypatch):
    with app.test_request_context():
        first = campaign_settings()
        now = snapshots.time.monotonic()
        monkeypatch.setattr(snapshots.time, "monotonic", lambda: now + 10 * snapshots.MAX_AGE)
        assert campaign_settings() is first  # not read again halfway through the request
    with app.test_request_context():
        assert campaign_settings() is not first  # the next request reads the stale snapshot again


def test_no_published_version_is_seen_at_once(survey, client, app):
    survey.start()
    with app.app_context():
        current_version().status = "retired"
        db.session.commit()
    with app.test_request_context():
        assert current_view() is None
    assert client.get("/survey/section/1").status_code == 302
