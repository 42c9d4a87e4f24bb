"""Flask-Security-Too's email-code sign-in (unified sign-in, "email" method, no
password), for the load benchmark's side-by-side figures (issue 13). Served like
Latchkey: `gunicorn --pythonpath bench fst_app:app`. Settings from FLASK_* like
Latchkey's: SECRET_KEY, SQLALCHEMY_DATABASE_URI, MAIL_SERVER, MAIL_PORT.

`python bench/fst_app.py seed N` creates the tables and N users whose email method
is set up (bench1@fst.example … benchN@fst.example).
"""

from __future__ import annotations

import sys

from flask import Flask
from flask_mail import Mail
from flask_security import Security, SQLAlchemyUserDatastore, auth_required
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "role"


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "user"


app = Flask(__name__)
app.config.update(
    SECURITY_PASSWORD_SALT="bench-salt-not-for-production",
    SECURITY_UNIFIED_SIGNIN=True,
    SECURITY_US_ENABLED_METHODS=["email"],
    SECURITY_US_SIGNIN_REPLACES_LOGIN=True,
    SECURITY_EMAIL_SENDER="no-reply@fst.example",
    SECURITY_TOTP_SECRETS={"1": "bench-totp-secret-not-for-production-0123456789"},
    SECURITY_TOTP_ISSUER="FST bench",
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
)
app.config.from_prefixed_env()
db.init_app(app)
Mail(app)
datastore = SQLAlchemyUserDatastore(db, User, Role)
security = Security(app, datastore)


@app.get("/")
@auth_required()
def home():
    """Where a signed-in person lands."""
    return "Signed in"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def seed(count: int) -> None:
    """Tables, and `count` users with the email method set up."""
    with app.app_context():
        db.create_all()
        for number in range(1, count + 1):
            user = datastore.create_user(email=f"bench{number}@fst.example", password=None)
            datastore.us_set(user, "email", security._totp_factory.generate_totp_secret())
        db.session.commit()


if __name__ == "__main__" and sys.argv[1:2] == ["seed"]:
    seed(int(sys.argv[2]))
