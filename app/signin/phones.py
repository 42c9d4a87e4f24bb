"""Phone numbers: parse what people type, normalize it to E.164, name countries.

Parsing is `phonenumbers`' (Google's libphonenumber). A number typed with a
leading `+` is read as international and the picked country is ignored; any
other number is read in the picked country's national format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from flask_babel import lazy_gettext as _l
from phonenumbers import PhoneNumberFormat, PhoneNumberType

MAX_PHONE_LENGTH = 40
FALLBACK_COUNTRY = "US"
# Digits after the country code that make a number prefix (see Phone.prefix).
PREFIX_DIGITS = 5
# Types that can receive an SMS. FIXED_LINE_OR_MOBILE covers plans (US, CA, …)
# where the two cannot be told apart from the number alone.
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class InvalidPhone(ValueError):
    """The typed number cannot receive an SMS; `str()` is the message to show."""


@dataclass(frozen=True)
class Phone:
    """A parsed, valid number: E.164 (`+447400123456`), its country and display form."""

    e164: str
    country: str
    international: str

    @property
    def prefix(self) -> str:
        """The country code and the first digits after it (a range that SMS pumping
        abuses as a block), e.g. `+4474001` for `+447400123456`."""
        number = phonenumbers.parse(self.e164)
        national = phonenumbers.national_significant_number(number)
        return f"+{number.country_code}{national[:PREFIX_DIGITS]}"


def is_country(code: str | None) -> bool:
    """True for an ISO 3166 alpha-2 code that phonenumbers knows (upper case)."""
    return bool(code) and code in phonenumbers.SUPPORTED_REGIONS


def parse_phone(value: str | None, country: str | None, *, mobile_only: bool = True) -> Phone:
    """A valid number from what was typed; raises InvalidPhone with the message to show."""
    value = (value or "").strip()
    if not value:
        raise InvalidPhone(_l("Enter your phone number."))
    if len(value) > MAX_PHONE_LENGTH or any(ch.isalpha() or ch in "\r\n\0" for ch in value):
        raise InvalidPhone(_l("That doesn't look like a phone number."))
    region = (country or "").upper()
    if not value.startswith("+") and not is_country(region):
        raise InvalidPhone(_l("Choose your country, or type the number with its + country code."))
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(_l("That doesn't look like a phone number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_l("That phone number isn't valid. Check the number and the country."))
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhone(_l("That number can't receive text messages. Enter a mobile number."))
    number_region = phonenumbers.region_code_for_number(number) or region
    if not is_country(number_region):
        # Non-geographic numbers (satellite +870, +881, international networks +882/+883)
        # belong to no country ("001"): no allowlist can name them, and they are a classic
        # target of SMS pumping. Refused like a country that is not allowed.
        raise InvalidPhone(_l("We can't send text messages to numbers in this country."))
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        country=number_region,
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
    )


def from_e164(e164: str) -> Phone:
    """A stored E.164 number as a Phone (no type check: it was checked when typed)."""
    number = phonenumbers.parse(e164)
    return Phone(
        e164=e164,
        country=phonenumbers.region_code_for_number(number) or "",
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
    )


def country_of(e164: str) -> str:
    """The ISO country of a stored E.164 number, or "" when unknown."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""
    except phonenumbers.NumberParseException:
        return ""


@dataclass(frozen=True)
class Country:
    """A country of the picker: ISO code, name in the page language, dialing code,
    and more words that find it (its English name and ISO alpha-3 codes)."""

    code: str
    name: str
    dial_code: str
    search: str = ""


def countries(language: str = "en", only: list[str] | None = None) -> list[Country]:
    """Countries to pick from, sorted by name in `language`; `only` limits the list."""
    try:
        names = Locale.parse(language.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        names = Locale("en").territories
    codes = [c for c in (only or sorted(phonenumbers.SUPPORTED_REGIONS)) if is_country(c)]
    english = Locale("en").territories
    alpha3 = _alpha3_codes()
    found = [
        Country(
            code,
            names.get(code, code),
            f"+{phonenumbers.country_code_for_region(code)}",
            " ".join([english.get(code, code), *alpha3.get(code, [])]),
        )
        for code in codes
    ]
    return sorted(found, key=lambda c: c.name.casefold())


@cache
def _alpha3_codes() -> dict[str, list[str]]:
    """ISO 3166 alpha-3 codes by alpha-2 ("FR" → ["FRA", "FXX"]), from CLDR's
    territory aliases (Babel's data): typing "fra" finds France in any language."""
    codes: dict[str, list[str]] = {}
    for alias, regions in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(regions) == 1:
            codes.setdefault(regions[0], []).append(alias)
    return codes


def default_country(configured: str | None, allowed: list[str], language_tags: list[str]) -> str:
    """The picker's first choice: the connection's setting, then the region of the page
    language (`en-GB` → GB), then the first allowed country; never a guess from the IP."""
    for candidate in (configured, region_of_language(language_tags)):
        if candidate and is_country(candidate) and (not allowed or candidate in allowed):
            return candidate
    return allowed[0] if allowed else FALLBACK_COUNTRY


def guessed_country(
    proxy_country: str | None, configured: str | None, allowed: list[str], language_tags: list[str]
) -> str:
    """The SMS country Lock starts on (`/user/geoloc/country`): the one the operator's proxy
    names in a header (when configured), if SMS may go there; else the picker's choice."""
    named = (proxy_country or "").strip().upper()
    if len(named) == 2 and is_country(named) and (not allowed or named in allowed):
        return named
    return default_country(configured, allowed, language_tags)


def region_of_language(tags: list[str]) -> str | None:
    """The first country named by a language tag (`en-GB` → GB, `pt_BR` → BR)."""
    for tag in tags:
        parts = tag.replace("_", "-").split("-")
        for part in parts[1:]:
            if is_country(part.upper()) and len(part) == 2:
                return part.upper()
    return None
