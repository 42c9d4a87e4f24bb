"""Flask-WTF forms of the hosted login page (field names are public: email, phone_number,
code).

The forms read fields and render them; they declare no WTForms validators, since
the views never run them: each view cuts what it reads to a safe length and the
domain checks the value (normalize_email, phones, codes), so a bad value gets the
domain's own clear message. CSRF is checked for every POST by CSRFProtect."""

from functools import lru_cache

from babel import support
from flask import abort, current_app, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.i18n import messages_path

from . import inputs


class PageForm(FlaskForm):
    """A form a hosted page posts: read from its text fields only.

    Flask-WTF would also take a JSON body (any JSON: numbers, lists, objects) or
    uploaded files as the form, handing the views values that are not strings; no
    page posts either, so they count as fields left empty."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # given by the caller
                return super().wrap_formdata(form, formdata)
            return request.form if form.is_submitted() else None

        def render_field(self, field, render_kw):
            """A text or hidden input written directly (app/web/inputs.py), the same
            HTML as its WTForms widget writes; any other field through its widget."""
            if not inputs.renders_fast(field):
                return super().render_field(field, render_kw)
            other = getattr(field, "render_kw", None)
            return inputs.render_input(field, dict(other, **render_kw) if other else render_kw)

        def get_translations(self, form):
            """WTForms' own messages in the page's language, read from disk once per
            process and language (Flask-WTF reads the catalog again for every request)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalog(str(get_locale() or "en"))


@lru_cache(maxsize=64)
def _wtforms_catalog(language: str) -> support.Translations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class EmailForm(PageForm):
    email = StringField("Email")
    authz = HiddenField()
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class PhoneForm(PageForm):
    """The phone screen: a country (ISO code, the picker) and the number as typed."""

    country = StringField("Country")
    phone_number = StringField("Phone number")
    authz = HiddenField()
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class CodeForm(PageForm):
    code = StringField("Code")


class NumberForm(PageForm):
    """The two-digit number shown where the sign-in started (number matching)."""

    number = StringField("Number")


class ActionForm(PageForm):
    """A button that posts: CSRF token only."""


def check_posted_action() -> None:
    """Read a button's post: its body is parsed here (an oversized one is refused with
    413, like every form) and the form validated (its CSRF token); a bad one is a 400."""
    if not ActionForm().validate_on_submit():
        abort(400)
