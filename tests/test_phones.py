"""Phone numbers as people type them: parsed, normalized to E.164, or refused clearly."""

from __future__ import annotations

import pytest

from app.signin.phones import (
    InvalidPhone,
    countries,
    default_country,
    parse_phone,
    region_of_language,
)


@pytest.mark.parametrize(
    ("typed", "country", "e164", "region"),
    [
        ("+1 415 555 2671", "US", "+14155552671", "US"),
        ("(415) 555-2671", "US", "+14155552671", "US"),
        ("415.555.2671", "US", "+14155552671", "US"),
        ("07400 123456", "GB", "+447400123456", "GB"),
        ("+44 7400 123456", "US", "+447400123456", "GB"),  # E.164 wins over the picker
        ("+447400123456", None, "+447400123456", "GB"),
        ("0151 23456789", "DE", "+4915123456789", "DE"),
        ("06 12 34 56 78", "FR", "+33612345678", "FR"),
        ("0412 345 678", "AU", "+61412345678", "AU"),
        ("98765 43210", "IN", "+919876543210", "IN"),
        ("(11) 96123-4567", "BR", "+5511961234567", "BR"),
        ("090-1234-5678", "JP", "+819012345678", "JP"),
        ("  +1-415-555-2671  ", "gb", "+14155552671", "US"),
    ],
)
def test_good_numbers_are_normalized_to_e164(typed, country, e164, region):
    phone = parse_phone(typed, country)
    assert phone.e164 == e164
    assert phone.country == region


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("", "US", "Enter your phone number."),
        ("+870 773 111 632", "US", "We can't send text messages to numbers in this country."),
        ("+881 6 1234 5678", "GB", "We can't send text messages to numbers in this country."),
        ("   ", "US", "Enter your phone number."),
        ("020 7946 0018", "GB", "can't receive text messages"),  # a London landline
        ("01 42 68 53 00", "FR", "can't receive text messages"),  # a Paris landline
        ("030 1234567", "DE", "can't receive text messages"),  # a Berlin landline
        ("415 555", "US", "isn't valid"),  # too short
        ("0740012345678901", "GB", "isn't valid"),  # too long
        ("+44 7400 12", None, "isn't valid"),
        ("call-me-maybe", "US", "doesn't look like a phone number"),  # letters
        ("0740O 123456", "GB", "doesn't look like a phone number"),  # a letter O
        ("+1 415 555 2671\r\nBcc: x", "US", "doesn't look like a phone number"),
        ("1" * 41, "US", "doesn't look like a phone number"),
        ("07400 123456", "", "Choose your country"),
        ("07400 123456", "XX", "Choose your country"),
        ("+999 1234 5678", None, "doesn't look like a phone number"),  # no such country code
    ],
)
def test_bad_numbers_are_refused_with_a_clear_message(typed, country, message):
    with pytest.raises(InvalidPhone, match=message):
        parse_phone(typed, country)


def test_landlines_pass_when_mobile_only_is_off():
    assert parse_phone("020 7946 0018", "GB", mobile_only=False).e164 == "+442079460018"


def test_the_prefix_is_the_country_code_and_the_first_digits():
    assert parse_phone("07400 123456", "GB").prefix == "+4474001"
    assert parse_phone("(415) 555-2671", "US").prefix == "+141555"


def test_countries_are_named_in_the_page_language_with_dialing_codes():
    german = {c.code: c for c in countries("de")}
    assert german["US"].name == "Vereinigte Staaten"
    assert german["GB"].dial_code == "+44"
    assert [c.code for c in countries("en", ["GB", "US", "ZZ"])] == ["GB", "US"]
    assert countries("not a language")[0].name  # falls back to English names


@pytest.mark.parametrize(
    ("configured", "allowed", "tags", "expected"),
    [
        ("GB", [], ["fr-FR"], "GB"),  # the connection's setting first
        (None, [], ["fr-FR", "en"], "FR"),  # then the page language's region
        (None, [], ["pt_BR"], "BR"),
        (None, [], ["en"], "US"),  # a language without region: the fallback
        (None, ["DE", "AT"], ["en-US"], "DE"),  # never a country that is not allowed
        ("GB", ["US"], [], "US"),
    ],
)
def test_the_default_country(configured, allowed, tags, expected):
    assert default_country(configured, allowed, tags) == expected


def test_a_script_subtag_is_not_a_region():
    assert region_of_language(["zh-Hant-TW"]) == "TW"
    assert region_of_language(["sr-Latn"]) is None
