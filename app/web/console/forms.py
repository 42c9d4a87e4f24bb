"""The console's forms. Flask-WTF checks every post's CSRF token; the fields are read
as text and the domain (app/accounts) checks the values and says what is wrong."""

from __future__ import annotations

from wtforms import BooleanField, StringField, TextAreaField

from ..forms import PageForm


class ActionForm(PageForm):
    """A button that posts (block, unblock, sign out): CSRF token only."""


class AppSettingsForm(PageForm):
    name = StringField("Name")
    callbacks = TextAreaField("Callback URLs")
    logout_urls = TextAreaField("Logout URLs")
    origins = TextAreaField("Web origins")
    connections = StringField("Connections")


class BrandingForm(PageForm):
    logo_url = StringField("Logo URL")
    primary_color = StringField("Primary colour")
    background_color = StringField("Background colour")
    theme = StringField("Theme")


class ConnectionForm(PageForm):
    send = StringField("Send")
    code_length = StringField("Code length")
    ttl_seconds = StringField("Lifetime")
    max_attempts = StringField("Max attempts")
    signup_allowed = BooleanField("Allow sign-up")
    allowed_countries = StringField("Allowed countries")
    daily_budget = StringField("Daily budget")


class TemplateForm(PageForm):
    source = TextAreaField("Source")
    language = StringField("Language")


def lines(value: str | None, limit: int = 4000) -> list[str]:
    """A textarea of URLs, one a line (or separated by commas), blanks dropped."""
    text = (value or "")[:limit].replace(",", "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]
