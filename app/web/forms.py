"""Flask-WTF forms of the hosted login page (field names are public: email, phone_number,
code)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length


class EmailForm(FlaskForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=320)])
    authz = HiddenField(validators=[InputRequired(), Length(max=8000)])
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class PhoneForm(FlaskForm):
    """The phone screen: a country (ISO code, the picker) and the number as typed."""

    country = StringField("Country", validators=[Length(max=8)])
    phone_number = StringField("Phone number", validators=[InputRequired(), Length(max=64)])
    authz = HiddenField(validators=[InputRequired(), Length(max=8000)])
    switch = HiddenField()  # "1" once the person confirmed "Continue as …?"


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=64)])


class NumberForm(FlaskForm):
    """The two-digit number shown where the sign-in started (number matching)."""

    number = StringField("Number", validators=[InputRequired(), Length(max=8)])


class ActionForm(FlaskForm):
    """A button that posts: CSRF token only."""
