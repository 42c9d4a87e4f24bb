"""Extension objects, unbound; create_app() binds them with init_app."""

from flask import current_app, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for Latchkey's models; named constraints keep migrations portable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()


class _PerApp:
    """A Limiter attribute kept per app: its value while that app's context is active."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, limiter, owner=None):
        if limiter is None:
            return self
        if has_app_context():
            state = current_app.extensions.get(PerAppLimiter.STATE)
            if state is not None and self.name in state:
                return state[self.name]
        return limiter.__dict__.get("_pending", {}).get(self.name)

    def __set__(self, limiter, value):
        limiter.__dict__.setdefault("_pending", {})[self.name] = value


class PerAppLimiter(Limiter):
    """Flask-Limiter keeps its switch, storage and key prefix on the one extension
    object, so the last app to start would win. Each app here keeps its own (tests
    build many apps; two instances may share one Redis)."""

    STATE = "latchkey.limiter"
    enabled = _PerApp()
    _storage = _PerApp()
    _limiter = _PerApp()
    _key_prefix = _PerApp()
    _headers_enabled = _PerApp()
    _strategy = _PerApp()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initial = dict(self.__dict__["_pending"])

    def init_app(self, app) -> None:
        self.__dict__["_pending"] = dict(self._initial)
        super().init_app(app)
        app.extensions[self.STATE] = dict(self.__dict__["_pending"])


limiter = PerAppLimiter(key_func=get_remote_address)
mail = Mail()
babel = Babel()
