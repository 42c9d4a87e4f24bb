"""The first browser's story once its sign-in ended (test client; the browser tests
in test_browser_endings.py watch the same endings in chromium)."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from helpers import visible_text
from sqlalchemy import select
from test_magic_links import (
    EMAIL,
    SAFARI_ON_IPHONE,
    Browser,
    newest_link,
    reaches_callback,
    relying,  # noqa: F401  (the fixture)
    ticket,
)

from app.extensions import db
from app.models import Client, utcnow


def story(response) -> str:
    return visible_text(response.get_data(as_text=True))


def test_signed_in_in_this_browser_then_back(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    laptop.open(newest_link(app))
    assert reaches_callback(laptop.press("/login/link/"), relying)

    status = laptop.client.get(f"/login/wait/{laptop.ticket_id}/status")
    assert status.json == {"status": "used"}
    text = story(laptop.open_waiting_page())  # Back, or the polling tab reloading
    assert "You're signed in" in text and "You can close this tab." in text
    assert "already used" not in text
    assert "Continue to Example App" in text


def test_code_page_after_signing_in_says_signed_in(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    code = laptop.read_code(EMAIL)
    laptop.client.get(f"/login/code/{laptop.ticket_id}")
    assert reaches_callback(laptop.enter_code(code, ticket_id=laptop.ticket_id), relying)

    back = laptop.client.get(f"/login/code/{laptop.ticket_id}")
    assert back.status_code == 303
    assert back.headers["Location"] == f"/login/ended/{laptop.ticket_id}"
    assert "You're signed in" in story(laptop.client.get(back.headers["Location"]))


def test_taken_over_on_the_other_device(app, relying):  # noqa: F811
    with app.app_context():
        client = db.session.scalars(select(Client).filter_by(client_id=relying.client_id)).one()
        client.initiate_login_uri = "https://app.example/login"
        db.session.commit()
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app) + "/here")
    taken = phone.press("/login/link/")
    assert taken.status_code == 302

    text = story(laptop.open_waiting_page())
    assert "Signed in on your other device" in text
    assert "Sign in on this device too" in text
    assert "You're signed in" not in text


def test_wrong_number_tells_why_and_sends_a_new_link(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    number = ticket(app, laptop.ticket_id).match_number
    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app))
    phone.press("/login/link/", number=str(10 + (int(number) - 10 + 1) % 90))

    text = story(laptop.open_waiting_page())
    assert "That number didn't match, so we stopped this sign-in" in text
    assert "Too many wrong tries" not in text
    again = laptop.press("/login/restart/")
    assert again.status_code == 303 and again.headers["Location"].startswith("/login/wait/")
    assert "We sent you a new link." in story(laptop.follow(again))


def test_wrong_codes_are_not_told_as_a_wrong_number(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    wrong = "000000" if laptop.read_code(EMAIL) != "000000" else "111111"
    for _ in range(3):
        laptop.enter_code(wrong, ticket_id=laptop.ticket_id)
    text = story(laptop.open_waiting_page())
    assert "Too many wrong tries" in text
    assert "didn't match" not in text


def test_expired_link_says_so_with_the_address(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    with freeze_time(utcnow() + timedelta(hours=2)):
        text = story(laptop.open_waiting_page())
    assert "This link has expired" in text
    assert EMAIL in text and "Send a new link" in text


def test_use_another_email_keeps_the_address(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    page = laptop.client.get(f"/login/change/{laptop.ticket_id}")
    assert page.status_code == 200
    assert f'value="{EMAIL}"' in page.get_data(as_text=True)
    stranger = Browser(app).client.get(f"/login/change/{laptop.ticket_id}")
    assert stranger.status_code == 303  # another browser gets the empty first screen
    assert stranger.headers["Location"].startswith("/authorize?")
    assert Browser(app).client.get("/login/change/nope").status_code == 404


def test_just_now_instead_of_zero_minutes(app, relying):  # noqa: F811
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    text = story(Browser(app, SAFARI_ON_IPHONE).open(newest_link(app)))
    assert "(just now)" in text and "0 min ago" not in text
