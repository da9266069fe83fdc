"""Staff page frames kept per process (survey/frames.py): the page is the same as a fresh render, never shared."""

import re

from survey import frames
from tests.conftest import csrf_token

PAGE = "/admin/dashboard/community/lianhu"
EN = {"Accept-Language": "en"}


def without_tokens(html):
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*"', r'\1"', html)


def kept(app):
    with app.app_context():
        return dict(app.extensions.get(frames._EXTENSION, {}))


def test_a_kept_frame_carries_this_sessions_working_token(app, client, auth):
    auth.as_role("community")
    assert client.get(PAGE).status_code == 200  # shows (and uses up) the welcome message
    first, second = client.get(PAGE), client.get(PAGE)
    assert first.status_code == second.status_code == 200
    # The second came from the kept frame: the same page. Its tokens are signed with the time of
    # their request, so two requests on either side of a second's turn differ in them and nowhere else.
    assert without_tokens(first.text) == without_tokens(second.text)
    assert any(key[0] == "dashboard" for key in kept(app))
    # The token in the kept page logs out: it is this session's own.
    response = client.post("/admin/logout", data={"csrf_token": csrf_token(second.text)})
    assert response.status_code == 302
    assert client.get(PAGE).status_code in (302, 401)


def test_no_token_is_kept_and_each_person_gets_their_own_frame(app, auth, make_staff):
    clients = {}
    for role in ("community", "district"):
        client = app.test_client()
        make_staff(role, f"frame-{role}")
        auth.client = client
        assert auth.login(f"frame-{role}").status_code == 302
        clients[role] = client
    pages = {role: [client.get(PAGE, headers=EN) for _ in range(3)][1:] for role, client in clients.items()}
    tokens = {role: csrf_token(page[1].text) for role, page in pages.items()}
    assert tokens["community"] != tokens["district"]
    assert "frame-community" in pages["community"][1].text and "frame-district" not in pages["community"][1].text
    assert "frame-district" in pages["district"][1].text and "frame-community" not in pages["district"][1].text
    # The district's navigation has entries a community worker's does not.
    assert len(re.findall(r"<li><a href=", pages["district"][1].text)) >= len(
        re.findall(r"<li><a href=", pages["community"][1].text)
    )
    for pieces in kept(app).values():
        text = "".join(pieces) if isinstance(pieces, tuple) else ""
        assert not any(token in text for token in tokens.values())


def test_flashed_messages_language_and_display_are_never_served_from_another_frame(app, client, auth):
    auth.as_role("community")
    chinese = client.get(PAGE).text
    english = client.get(PAGE, headers=EN).text
    assert 'lang="zh' in chinese and 'lang="en"' in english
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A one-off message for this request")]
    assert "A one-off message for this request" in client.get(PAGE, headers=EN).text
    assert "A one-off message for this request" not in client.get(PAGE, headers=EN).text
    client.set_cookie("display", "large=on")
    assert "text-large" in client.get(PAGE, headers=EN).text
    client.delete_cookie("display")
    assert "text-large" not in client.get(PAGE, headers=EN).text


def test_a_frame_that_would_differ_is_rendered_every_time(app, client, auth, monkeypatch):
    """The check on first use: if the frame with the real token put back is not the page, it is not kept."""
    auth.as_role("community")
    client.get("/admin/")  # uses up the welcome message
    real_frame = frames.frame
    calls = []

    def render_twice_differently(key, render):
        calls.append(key)
        counter = iter(range(1000))
        return real_frame(key, lambda: render() + f"<!-- {next(counter)} -->")

    monkeypatch.setattr(frames, "frame", render_twice_differently)
    client.get(PAGE)
    assert [value for value in kept(app).values() if value is frames._UNCACHEABLE]
    page = client.get(PAGE)
    assert page.status_code == 200 and page.text.rstrip().endswith("<!-- 0 -->")  # rendered again, not kept
