"""Flask-WTF forms of the hosted login page (field names are public: email, phone_number,
code)."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length


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


class EmailForm(PageForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=320)])
    authz = HiddenField(validators=[InputRequired(), Length(max=8000)])
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class PhoneForm(PageForm):
    """The phone screen: a country (ISO code, the picker) and the number as typed."""

    country = StringField("Country", validators=[Length(max=8)])
    phone_number = StringField("Phone number", validators=[InputRequired(), Length(max=64)])
    authz = HiddenField(validators=[InputRequired(), Length(max=8000)])
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class CodeForm(PageForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=64)])


class NumberForm(PageForm):
    """The two-digit number shown where the sign-in started (number matching)."""

    number = StringField("Number", validators=[InputRequired(), Length(max=8)])


class ActionForm(PageForm):
    """A button that posts: CSRF token only."""
