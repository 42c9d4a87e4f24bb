"""For the console's browser and screenshot tests: an admin signing in through the real
pages in Chromium, and a fixed set of users, sessions, events and messages (fixed ids
and times, so that screenshots of the console come out the same every run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import newest_code

from app.accounts import admins
from app.accounts.events import mask_recipient
from app.extensions import db
from app.models import BrowserSession, Event, Identity, OutboxMessage, User, sha256_hex

ADMIN = "ops@example.com"
DAY = datetime(2026, 11, 20, 9, 0, 0)
PHONE = "+447400123456"
PEOPLE = [
    ("sub0ada0000000000000000001", ["ada@example.com", PHONE], False),
    ("sub0ben0000000000000000002", ["ben@example.org"], False),
    ("sub0chloe00000000000000003", ["chloe@example.net"], True),
    ("sub0dev00000000000000000004", ["dev.patel@example.com"], False),
    ("sub0emma0000000000000000005", ["+33612345678"], False),
    ("sub0finn0000000000000000006", ["finn@example.co.uk"], False),
]


def sign_in_in_browser(page, server, email: str = ADMIN) -> None:
    """Open /admin, type the address, read the code from the outbox, type it; an admin
    lands on the users list."""
    page.goto(f"{server.url}/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(newest_code(server.app, email))
    page.get_by_role("button", name="Continue").click()
    if email == ADMIN:
        page.wait_for_url(f"{server.url}/admin/users")


def seed(app) -> None:
    """The sample users and what happened to them; the admin on the list."""
    with app.app_context():
        admins.add(ADMIN)
        for index, (sub, values, blocked) in enumerate(PEOPLE):
            user = User(sub=sub, blocked=blocked, created_at=DAY + timedelta(hours=index))
            user.last_login_at = DAY + timedelta(days=2, minutes=7 * index)
            for value in values:
                connection = "sms" if value.startswith("+") else "email"
                user.identities.append(Identity(connection=connection, value=value, verified=True))
            db.session.add(user)
        db.session.flush()
        ada = db.session.query(User).filter_by(sub=PEOPLE[0][0]).one()
        _sessions_and_sign_ins(ada)
        _messages()
        db.session.commit()


def fix_times(app, email: str = ADMIN) -> None:
    """The admin's own row, made by the real sign-in, with fixed times for the pictures."""
    with app.app_context():
        user = db.session.query(Identity).filter_by(value=email).one().user
        user.created_at = DAY - timedelta(days=30)
        user.last_login_at = DAY + timedelta(days=3)
        db.session.commit()


def _sessions_and_sign_ins(ada: User) -> None:
    for minutes, ended in ((0, True), (600, False)):
        at = DAY + timedelta(days=1, minutes=minutes)
        db.session.add(
            BrowserSession(
                cookie_hash=sha256_hex(f"sample-{minutes}"),
                user_id=ada.id,
                connection="email",
                recipient="ada@example.com",
                auth_time=at,
                created_at=at,
                last_seen_at=at,
                ended_at=at + timedelta(hours=2) if ended else None,
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1",
                ip="203.0.113.7",
            )
        )
        db.session.add(
            Event(
                type="login.success",
                created_at=at,
                user_id=ada.id,
                client_id="notes",
                connection="email",
                ip="203.0.113.7",
            )
        )


def _messages() -> None:
    """To Ada's phone: a code the gateway refused (500) three times, then one sent."""
    failed = OutboxMessage(
        channel="sms",
        recipient=PHONE,
        provider="gateway",
        status="failed",
        tries=3,
        last_error="gateway HTTP 500",
        created_at=DAY + timedelta(days=2),
        next_try_at=DAY + timedelta(days=2, seconds=70),
    )
    sent = OutboxMessage(
        channel="sms",
        recipient=PHONE,
        provider="gateway",
        status="sent",
        tries=1,
        provider_message_id="gw-7f3a9c",
        created_at=DAY + timedelta(days=2, minutes=4),
        sent_at=DAY + timedelta(days=2, minutes=4, seconds=2),
    )
    db.session.add_all([failed, sent])
    db.session.flush()
    about = {"connection": "sms", "recipient": mask_recipient(PHONE), "client_id": "notes"}
    for tries, seconds in ((1, 1), (2, 12)):
        db.session.add(
            Event(
                type="delivery.retry",
                created_at=failed.created_at + timedelta(seconds=seconds),
                detail={
                    "message_id": failed.id,
                    "tries": tries,
                    "error": "gateway HTTP 500",
                    "retry_in_seconds": 10 * tries,
                },
                **about,
            )
        )
    db.session.add(
        Event(
            type="delivery.failed",
            created_at=failed.created_at + timedelta(seconds=45),
            detail={"message_id": failed.id, "tries": 3, "error": "gateway HTTP 500"},
            **about,
        )
    )
    db.session.add(
        Event(
            type="delivery.sent",
            created_at=sent.sent_at,
            detail={"message_id": sent.id, "tries": 1},
            **about,
        )
    )
    db.session.add(
        Event(
            type="throttle.recipient",
            created_at=DAY + timedelta(days=2, minutes=2),
            ip="198.51.100.23",
            detail={"refused": "throttled"},
            **about,
        )
    )
