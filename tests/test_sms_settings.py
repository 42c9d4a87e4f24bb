"""Operators' side of SMS: start-up checks, `connections update sms`, `sms stats`, the demo."""

from __future__ import annotations

import json

import pytest
from helpers import LoginPage, RelyingApp

from app.accounts.connections import get_connection
from app.accounts.demo import ensure_demo_client
from app.config import ConfigError

TWILIO = {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"SMS_PROVIDER": "pigeon"}, "FLASK_SMS_PROVIDER must be one of twilio, gateway, dev"),
        ({"SMS_PROVIDER": "twilio"}, "FLASK_TWILIO_ACCOUNT_SID and FLASK_TWILIO_AUTH_TOKEN"),
        (TWILIO, "FLASK_SMS_FROM (a Twilio number) or FLASK_TWILIO_MESSAGING_SERVICE_SID"),
        ({"SMS_PROVIDER": "gateway"}, "FLASK_SMS_GATEWAY_URL for the gateway provider"),
        (
            {"SMS_PROVIDER": "gateway", "SMS_GATEWAY_URL": "ftp://x"},
            "must be an http:// or https:// URL",
        ),
        (
            {"SMS_PROVIDER": "gateway", "SMS_GATEWAY_URL": "https://g", "SMS_GATEWAY_SECRET": "s"},
            "FLASK_SMS_GATEWAY_SECRET must be at least 32 characters",
        ),
        ({"SMS_PROVIDER": "dev", "SMS_TIMEOUT": "soon"}, "FLASK_SMS_TIMEOUT must be a number"),
        ({"SMS_PROVIDER": "dev", "SMS_TIMEOUT": 0}, "FLASK_SMS_TIMEOUT must be a number"),
    ],
)
def test_bad_sms_settings_stop_the_start_with_one_line(make_app, config, says):
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        make_app(**config)


def test_good_provider_settings_start(make_app):
    assert make_app(**TWILIO, SMS_FROM="+15005550006").config["SMS_PROVIDER"] == "twilio"
    gateway = make_app(SMS_PROVIDER="gateway", SMS_GATEWAY_URL="https://sms.example/send")
    assert gateway.config["SMS_TIMEOUT"] == 30.0


def test_connections_update_sms_countries_budget_and_default(runner, app):
    result = runner.invoke(
        args=[
            "connections",
            "update",
            "sms",
            "--countries",
            "us, gb,US",
            "--default-country",
            "gb",
            "--daily-budget",
            "50",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "countries:      US, GB" in result.output
    assert "default:        GB" in result.output
    assert "daily budget:   50 per country" in result.output
    shown = json.loads(runner.invoke(args=["connections", "show", "sms", "--json"]).output)
    assert shown["allowed_countries"] == ["US", "GB"]

    reset = runner.invoke(args=["connections", "update", "sms", "--countries", "all"])
    assert "countries:      all" in reset.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sms", "--countries", "US,Narnia"], "Unknown country 'Narnia'"),
        (["sms", "--countries", "XX"], "Unknown country 'XX'"),
        (["sms", "--default-country", "US,GB"], "The default country is one ISO code"),
        (["sms", "--daily-budget", "-1"], "Daily budget must be from 0 to 1000000"),
        (["email", "--countries", "US"], "Allowed countries is a setting of the sms connection"),
        (["email", "--daily-budget", "5"], "The daily budget is a setting of the sms connection"),
    ],
)
def test_bad_connection_settings_change_nothing(runner, app, args, says):
    result = runner.invoke(args=["connections", "update", *args])
    assert result.exit_code == 1
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1
    with app.app_context():
        assert get_connection("sms").allowed_countries == []


def sign_in_by_sms(app, phone: str, *, finish: bool) -> None:
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    assert person.submit_phone(phone, "US").status_code == 303
    if finish:
        assert person.enter_code(person.read_code(phone)).status_code == 302


def test_sms_stats_show_sent_verified_and_completion_per_country(runner, app):
    empty = runner.invoke(args=["sms", "stats"])
    assert "No SMS codes sent in the last 7 days." in empty.output

    sign_in_by_sms(app, "+14155552671", finish=True)
    sign_in_by_sms(app, "+14155552672", finish=False)
    sign_in_by_sms(app, "+14155552673", finish=False)
    sign_in_by_sms(app, "+14155552674", finish=False)
    sign_in_by_sms(app, "+447400123456", finish=True)

    table = runner.invoke(args=["sms", "stats"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split() == ["day", "country", "sent", "verified", "completion"]
    rows = {line.split()[1]: line.split()[2:] for line in lines[1:]}
    assert rows == {"GB": ["1", "1", "100%"], "US": ["4", "1", "25%"]}

    data = json.loads(runner.invoke(args=["sms", "stats", "--json", "--days", "1"]).output)
    assert {row["country"]: row["completion_rate"] for row in data} == {"GB": 1.0, "US": 0.25}


def test_the_demo_allows_sms_to_its_country_only(app):
    with app.app_context():
        client, _ = ensure_demo_client()
        assert client.connections == ["email", "sms"]
        sms = get_connection("sms")
        assert sms.allowed_countries == ["US"] and sms.default_country == "US"
        sms.allowed_countries = ["GB"]
        ensure_demo_client()
        assert get_connection("sms").allowed_countries == ["GB"]  # an operator's list stays
