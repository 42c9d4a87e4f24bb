"""SMS-fraud defences: each refuses before any provider is called, says what to do, and
is an audit event (`sms.refused`, the number masked) that the logs API and the console show."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, visible_text
from management import bearer, management_client, token_for
from sqlalchemy import select

from app.accounts.connections import update_connection
from app.delivery import dispatcher
from app.extensions import db
from app.models import Event, OutboxMessage


@pytest.fixture
def sms_app(make_app, gateway):
    """An app sending through a loopback gateway, with small limits."""

    def make(**config):
        limits = {
            "SMS_NUMBER_RATE_LIMIT": "2 per 10 minutes",
            "SMS_PREFIX_RATE_LIMIT": "100 per hour",
            "SMS_IP_RATE_LIMIT": "100 per hour",
        }
        return make_app(**gateway.config(**{**limits, **config}))

    return make


class Person(LoginPage):
    def __init__(self, app, ip: str = "203.0.113.7"):
        super().__init__(app.test_client())
        self.client.environ_base["REMOTE_ADDR"] = ip
        self.relying_app = RelyingApp.register(app, connections=("sms",))

    def ask(self, number: str, country: str = "US"):
        self.open_authorize(**self.relying_app.authorize_params())
        response = self.submit_phone(number, country)
        with self.app.app_context():
            dispatcher.dispatch_due()
        return response


def queued(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(OutboxMessage)).all())


def refusals(app) -> list[dict]:
    """The `sms.refused` events, oldest first: masked number, IP and details."""
    with app.app_context():
        rows = db.session.scalars(
            select(Event).where(Event.type == "sms.refused").order_by(Event.id)
        ).all()
        return [
            {"connection": e.connection, "recipient": e.recipient, "ip": e.ip, **e.detail}
            for e in rows
        ]


def test_a_number_outside_the_allowed_countries_is_refused(sms_app, gateway):
    app = sms_app()
    with app.app_context():
        update_connection("sms", allowed_countries="US,CA")
    person = Person(app)

    refused = person.ask("+44 7400 123456")
    assert refused.status_code == 400
    assert "We can't send text messages to numbers in this country." in visible_text(person.page)
    assert gateway.received == [] and queued(app) == 0
    assert refusals(app) == [
        {
            "connection": "sms",
            "recipient": "+44********56",
            "ip": "203.0.113.7",
            "refused": "country",
            "country": "GB",
        }
    ]

    assert person.ask("+1 415 555 2671").status_code == 303
    assert len(gateway.received) == 1


def test_the_number_limit_says_when_to_try_again(sms_app, gateway):
    app = sms_app()
    person = Person(app)
    # The memory storage expires entries in a thread that freezegun leaves on the real
    # clock: frozen times lie in the future so that thread never drops them early.
    with freeze_time("2031-03-01 12:00:00") as clock:
        assert person.ask("+14155552671").status_code == 303
        assert person.ask("+14155552671").status_code == 303
        clock.move_to("2031-03-01 12:03:00")
        refused = person.ask("(415) 555-2671")
        assert refused.status_code == 429
        assert "Too many codes were sent to this number. Try again in 7 minutes." in visible_text(
            person.page
        )
        assert len(gateway.received) == 2 and queued(app) == 2
        [event] = refusals(app)
        assert event["refused"] == "number" and event["recipient"] == "+14*******71"
        assert event["limit"] == "2 per 10 minute" and event["retry_after"] == 420
        # another number is not affected
        assert person.ask("+14155552672").status_code == 303
        clock.move_to("2031-03-01 12:10:01")
        assert person.ask("+14155552671").status_code == 303


def test_the_number_limit_covers_resends(sms_app, gateway):
    app = sms_app()
    person = Person(app)
    person.ask("+14155552671")
    person.open_code_page()
    assert person.resend().status_code == 303
    with app.app_context():
        dispatcher.dispatch_due()
    person.open_code_page()
    refused = person.resend()
    assert refused.status_code == 429
    assert "Try again in 10 minutes." in visible_text(person.page)
    assert len(gateway.received) == 2
    [event] = refusals(app)  # the resend's refusal names its ticket
    assert event["refused"] == "number" and event["ticket"] == person.ticket_id[:6]


def test_prefix_velocity_stops_a_run_through_a_number_range(sms_app, gateway):
    app = sms_app(SMS_PREFIX_RATE_LIMIT="3 per hour")
    people = [Person(app, ip=f"198.51.100.{n}") for n in range(5)]
    for n, person in enumerate(people[:3]):
        assert person.ask(f"+1415555267{n}").status_code == 303
    refused = people[3].ask("+14155552679")
    assert refused.status_code == 429
    assert "Too many codes were asked for. Try again in 60 minutes." in visible_text(people[3].page)
    assert len(gateway.received) == 3
    [event] = refusals(app)
    assert (event["refused"], event["limit"], event["ip"]) == (
        "prefix",
        "3 per 1 hour",
        "198.51.100.3",
    )
    assert people[4].ask("+12125552679").status_code == 303  # another range


def test_the_ip_limit(sms_app, gateway):
    app = sms_app(SMS_IP_RATE_LIMIT="2 per hour")
    person = Person(app)
    assert person.ask("+14155552671").status_code == 303
    assert person.ask("+12125552671").status_code == 303
    assert person.ask("+13125552671").status_code == 429
    assert len(gateway.received) == 2
    [event] = refusals(app)
    assert (event["refused"], event["ip"], event["country"]) == ("ip", "203.0.113.7", "US")
    assert Person(app, ip="192.0.2.99").ask("+13125552671").status_code == 303


def test_the_daily_budget_breaks_the_circuit_for_one_country(sms_app, gateway):
    app = sms_app(SMS_NUMBER_RATE_LIMIT="100 per day")
    with app.app_context():
        update_connection("sms", daily_budget=2)
    person = Person(app)
    with freeze_time("2031-03-01 09:00:00") as clock:
        assert person.ask("+14155552671").status_code == 303
        assert person.ask("+14155552672").status_code == 303
        refused = person.ask("+14155552673")
        assert refused.status_code == 503
        assert "We can't send more text messages to this country today." in visible_text(
            person.page
        )
        assert person.ask("+14155552674").status_code == 503
        assert person.ask("+447400123456", "GB").status_code == 303  # another country
        assert len(gateway.received) == 3
        with app.app_context():
            [event] = db.session.scalars(
                select(Event).where(Event.type == "sms.budget_exhausted")
            ).all()
            assert event.detail == {"country": "US", "budget": 2}
        # each refusal is an event, the alert above once a day
        assert [(e["refused"], e["recipient"]) for e in refusals(app)] == [
            ("budget", "+14*******73"),
            ("budget", "+14*******74"),
        ]
        assert refusals(app)[0]["budget"] == 2

        clock.move_to("2031-03-02 00:00:01")  # a new day
        assert person.ask("+14155552673").status_code == 303
        assert person.ask("+14155552674").status_code == 303
        assert person.ask("+14155552675").status_code == 503
        with app.app_context():
            update_connection("sms", daily_budget=5)  # an operator raises it
        assert person.ask("+14155552675").status_code == 303


def test_without_an_sms_provider_the_phone_screen_says_so(make_app):
    app = make_app()
    app.config["SMS_PROVIDER"] = None
    person = Person(app)
    refused = person.ask("+14155552671")
    assert refused.status_code == 503
    assert "Sign-in by text message isn't available right now." in visible_text(person.page)
    assert [e["refused"] for e in refusals(app)] == ["unavailable"]


def test_parallel_requests_cannot_race_past_the_limits_or_the_budget(sms_app):
    """Twenty-five threads ask at once for numbers in one prefix from one IP: the
    limits are counted atomically, so no more pass than the smallest limit allows."""
    import threading

    from app.accounts.connections import get_connection
    from app.signin import phones, sms_guard

    app = sms_app(SMS_PREFIX_RATE_LIMIT="3 per hour", SMS_IP_RATE_LIMIT="100 per hour")
    with app.app_context():
        update_connection("sms", daily_budget=2)
    numbers = [phones.parse_phone(f"+1 415 555 {n:04d}", "US") for n in range(100, 125)]
    admitted, refused = [], []
    gate = threading.Barrier(len(numbers))

    def ask(phone):
        with app.app_context():
            gate.wait(timeout=10)
            try:
                sms_guard.admit(get_connection("sms"), phone, "198.51.100.9")
                admitted.append(phone.e164)
            except sms_guard.SmsRefused:
                refused.append(phone.e164)

    threads = [threading.Thread(target=ask, args=(phone,)) for phone in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(admitted) == 2  # the daily budget of 2, the tightest of the limits
    assert len(refused) == len(numbers) - 2


def test_a_refusal_is_in_the_management_apis_logs_with_the_number_masked(sms_app, gateway):
    app = sms_app()
    with app.app_context():
        update_connection("sms", allowed_countries="US")
    person = Person(app)
    assert person.ask("+44 7400 123456").status_code == 400
    http = app.test_client()
    client_id, secret = management_client(app, scopes=["read:logs"])
    answer = http.get(
        "/api/v2/logs",
        query_string={"q": 'type:"sms.refused"'},
        headers=bearer(token_for(http, client_id, secret)),
    )
    assert answer.status_code == 200
    [log] = answer.get_json()
    assert log["type"] == "sms.refused" and log["connection"] == "sms"
    assert log["client_id"] == person.relying_app.client_id
    assert log["user_name"] == "+44********56" and log["ip"] == "203.0.113.7"
    assert log["details"] == {"refused": "country", "country": "GB"}
    assert "7400123456" not in answer.get_data(as_text=True)
