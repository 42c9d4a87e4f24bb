"""The account page's codes (app/signin/account_codes.py): the sign-in's tickets, codes,
tries cap and outbox, for adding an address (and merging its owner only after its code)
and for deleting an account; such a ticket never signs anyone in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import messages_to, newest_code, wrong_code_for

from app.accounts import users
from app.extensions import db
from app.messages import overrides
from app.messages.rendering import render_email, render_sms
from app.models import LoginTicket, User, utcnow
from app.signin import account_codes, tickets
from app.signin.outcomes import Requester

PAT = "pat@example.com"
WORK = "pat@work.example"
BROWSER = "browser-binding-value"
ASKER = Requester(ip="192.0.2.1", user_agent="test")


def _user(app, value: str) -> int:
    with app.app_context():
        user = users.create_with_identity("email", value)
        db.session.commit()
        return user.id


def _send(app, user_id: int, recipient: str, purpose: str = account_codes.ADD) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        ticket = account_codes.send(
            purpose, "email", recipient, user=user, binding_value=BROWSER, requester=ASKER
        )
        return ticket.id


def _verify_add(app, user_id: int, ticket_id: str, code: str, binding: str = BROWSER):
    with app.app_context():
        user = db.session.get(User, user_id)
        verified = account_codes.verify_add(ticket_id, code, binding, user, ASKER)
        return verified.outcome, verified.owner.id if verified.owner else None


def test_a_new_address_joins_the_user_after_its_code(app):
    pat = _user(app, PAT)
    ticket_id = _send(app, pat, WORK)
    (message,) = messages_to(app, WORK)
    assert message.ticket_id == ticket_id

    assert _verify_add(app, pat, ticket_id, message.code) == ("added", None)

    with app.app_context():
        assert users.find_by_identity("email", WORK).id == pat


def test_a_wrong_code_counts_against_the_tries_cap_like_a_sign_in(app):
    pat = _user(app, PAT)
    ticket_id = _send(app, pat, WORK)
    code = newest_code(app, WORK)
    with pytest.raises(tickets.WrongCode) as wrong:
        _verify_add(app, pat, ticket_id, wrong_code_for(code))
    assert wrong.value.tries_left == 2
    for _ in range(2):
        with pytest.raises((tickets.WrongCode, tickets.TooManyAttempts)):
            _verify_add(app, pat, ticket_id, wrong_code_for(code))
    with pytest.raises(tickets.TooManyAttempts):
        _verify_add(app, pat, ticket_id, code)
    with app.app_context():
        assert users.find_by_identity("email", WORK) is None


def test_another_browser_or_user_cannot_use_the_ticket(app):
    pat, sam = _user(app, PAT), _user(app, "sam@example.com")
    ticket_id = _send(app, pat, WORK)
    code = newest_code(app, WORK)
    with pytest.raises(tickets.TicketNotFound):
        _verify_add(app, pat, ticket_id, code, binding="another-browser")
    with pytest.raises(tickets.TicketNotFound):
        _verify_add(app, sam, ticket_id, code)


def test_an_account_ticket_never_signs_in_on_the_login_page(app, client):
    pat = _user(app, PAT)
    ticket_id = _send(app, pat, WORK)
    client.set_cookie(app.config["BINDING_COOKIE_NAME"], BROWSER)
    with app.app_context():
        with pytest.raises(tickets.TicketNotFound):
            tickets.verify_code(ticket_id, newest_code(app, WORK), BROWSER, ASKER)
    assert client.get(f"/login/code/{ticket_id}").status_code == 404


def test_another_users_address_offers_a_merge_that_happens_only_when_confirmed(app):
    pat, work = _user(app, PAT), _user(app, WORK)
    ticket_id = _send(app, pat, WORK)

    assert _verify_add(app, pat, ticket_id, newest_code(app, WORK)) == ("offer", work)
    with app.app_context():
        assert users.find_by_identity("email", WORK).id == work  # nothing merged yet

        user = db.session.get(User, pat)
        sub = user.sub
        moved = account_codes.merge_after_code(ticket_id, BROWSER, user)
        assert [i.value for i in moved] == [WORK]
    with app.app_context():
        user = db.session.get(User, pat)
        assert user.sub == sub and db.session.get(User, work) is None
        with pytest.raises(tickets.TicketUsed):
            account_codes.merge_after_code(ticket_id, BROWSER, user)


def test_a_merge_needs_the_code_first_and_expires(app):
    pat, _ = _user(app, PAT), _user(app, WORK)
    ticket_id = _send(app, pat, WORK)
    with app.app_context():
        with pytest.raises(tickets.TicketNotFound):  # not verified yet
            account_codes.merge_after_code(ticket_id, BROWSER, db.session.get(User, pat))
    _verify_add(app, pat, ticket_id, newest_code(app, WORK))
    with freeze_time(utcnow() + account_codes.MERGE_WINDOW + timedelta(seconds=5)):
        with app.app_context():
            with pytest.raises(tickets.TicketExpired):
                account_codes.merge_after_code(ticket_id, BROWSER, db.session.get(User, pat))


def test_a_blocked_owner_gets_no_code_and_the_same_answer(app):
    pat, work = _user(app, PAT), _user(app, WORK)
    with app.app_context():
        db.session.get(User, work).blocked = True
        db.session.commit()
    ticket_id = _send(app, pat, WORK)
    assert messages_to(app, WORK) == []
    with app.app_context():
        assert db.session.get(LoginTicket, ticket_id).deliver is False


def test_deleting_the_account_takes_a_code(app):
    pat = _user(app, PAT)
    ticket_id = _send(app, pat, PAT, account_codes.DELETE)
    with app.app_context():
        user = db.session.get(User, pat)
        with pytest.raises(tickets.TicketNotFound):  # a delete code adds nothing
            account_codes.verify_add(ticket_id, newest_code(app, PAT), BROWSER, user, ASKER)
        account_codes.verify_delete(ticket_id, newest_code(app, PAT), BROWSER, user, ASKER)
    with app.app_context():
        assert db.session.get(User, pat) is None


@pytest.mark.parametrize("language", overrides.LANGUAGES)
@pytest.mark.parametrize("action", ["add", "delete", "confirm"])
def test_the_account_code_email_says_what_the_code_does_in_every_language(app, language, action):
    data = overrides.sample_variables(language) | {"account_action": action}
    email = render_email("email_account_code", None, language=language, **data)
    sign_in = render_email("email_code", None, language=language, **data)
    assert (
        data["code"] in email.subject and data["code"] in email.text and data["code"] in email.html
    )
    assert f'<html lang="{language}">' in email.html
    assert email.subject != sign_in.subject and email.text != sign_in.text
    other = "delete" if action == "add" else "add"
    assert (
        email.text
        != render_email(
            "email_account_code", None, language=language, **(data | {"account_action": other})
        ).text
    )
    with app.app_context():
        for part in ("subject", "text", "html"):
            source = overrides.source_in_force("email", "email_account_code", part, language)
            overrides.check_source(source.source, part)


@pytest.mark.parametrize("language", overrides.LANGUAGES)
def test_the_account_code_sms_says_what_the_code_does_in_every_language(app, language):
    with app.app_context():
        data = overrides.sample_variables(language)
        texts = {
            action: render_sms(
                "sms_account_code", None, language=language, **(data | {"account_action": action})
            )
            for action in ("add", "delete", "confirm")
        }
        sign_in = render_sms("sms_code", None, language=language, **data)
        source = overrides.source_in_force("sms", "sms_account_code", "text", language)
        assert language in source.origin or language == "en"
        overrides.check_source(source.source, "text")
        english = render_sms("sms_account_code", None, language="en", **data)
    for text in texts.values():
        assert data["code"] in text and "Acme Notes" in text
        assert text.splitlines()[-1] == f"@latchkey.example #{data['code']}"  # WebOTP autofill
        assert text.splitlines()[0] != sign_in.splitlines()[0]
    assert len(set(texts.values())) == 3  # each action says what it does
    assert language == "en" or texts["add"] != english


def test_the_code_to_add_an_address_is_not_a_sign_in_message(app):
    pat = _user(app, PAT)
    _send(app, pat, WORK)
    _send(app, pat, PAT, account_codes.DELETE)
    (added,) = messages_to(app, WORK)
    assert "to add this address to your Latchkey account" in added.subject
    assert "sign in" not in added.text
    assert "to delete your Latchkey account" in messages_to(app, PAT)[-1].subject
