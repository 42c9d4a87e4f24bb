"""The operator console at /admin: signed in through Latchkey itself (a real code by
email), for admins only; users, block and unblock, delivery troubleshooting, apps,
connections and templates; CSRF, pagination, headers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from helpers import LoginPage, RelyingApp, csrf_token, form_posting_to, visible_text
from sqlalchemy import select

from app.accounts import admins, users
from app.delivery import dispatcher
from app.extensions import db
from app.models import BrowserSession, Client, Event, User

ADMIN = "ops@example.com"
OTHER = "someone@example.com"


class Operator:
    """A person in a browser using the console (one test client)."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.person = LoginPage(self.client)

    def sign_in(self, email: str):
        """Open /admin, sign in with the code sent to `email`; the last response."""
        opened = self.client.get("/admin/")
        assert opened.status_code == 302 and opened.headers["Location"].endswith("/admin/login")
        started = self.client.get("/admin/login")
        assert started.status_code == 303
        authorize = started.headers["Location"]
        assert authorize.startswith("/authorize?") and "prompt=login" in authorize
        self.person.page = self.client.get(authorize).get_data(as_text=True)
        assert self.person.submit_email(email).status_code == 303
        self.person.open_code_page()
        back = self.person.enter_code(self.person.read_code(email))
        assert back.status_code == 302, back.get_data(as_text=True)
        callback = urlsplit(back.headers["Location"])
        assert callback.path == "/admin/callback"
        return self.client.get(f"{callback.path}?{callback.query}")

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post_form(self, page_path: str, action: str, **fields: str):
        """Open a page and press the button of the form posting to `action`."""
        page = self.get(page_path).get_data(as_text=True)
        form = form_posting_to(page, action)
        return self.client.post(form.action, data={**form.fields, **fields})


def add_admin(app, email: str = ADMIN) -> None:
    with app.app_context():
        admins.add(email)


@pytest.fixture
def operator(app):
    add_admin(app)
    operator = Operator(app)
    done = operator.sign_in(ADMIN)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/users")
    return operator


def user_signs_in(app, email: str) -> LoginPage:
    """Someone signs in to an app in their own browser (an SSO session)."""
    relying_app = RelyingApp.register(app, name="Notes")
    person = LoginPage(app.test_client())
    done = person.sign_in(email, **relying_app.authorize_params())
    assert done.status_code == 302
    return person


# --- Getting in ---------------------------------------------------------------------


def test_a_stranger_is_sent_to_sign_in_and_pages_refuse_without_a_session(client):
    for path in ("/admin/", "/admin/users", "/admin/delivery?q=a@b.c", "/admin/apps"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/admin/login")
    assert client.post("/admin/users/x/block").status_code in (302, 400)


def test_a_non_admin_who_signs_in_is_refused_with_a_clear_page(app):
    add_admin(app)
    stranger = Operator(app)
    refused = stranger.sign_in(OTHER)
    assert refused.status_code == 403
    text = visible_text(refused.get_data(as_text=True))
    assert "This account can't use the console" in text
    assert stranger.get("/admin/users").status_code == 302  # no console session
    with app.app_context():
        assert db.session.scalars(select(Event).filter_by(type="admin.console_refused")).all()


def test_an_admin_signs_in_with_a_code_and_sees_the_users(operator):
    page = operator.get("/admin/users")
    assert page.status_code == 200
    assert ADMIN in visible_text(page.get_data(as_text=True))
    assert page.headers["Cache-Control"] == "no-store"
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'nonce-" in csp
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_removed_admin_is_refused_on_the_next_request(operator):
    with operator.app.app_context():
        admins.remove(ADMIN)
    assert operator.get("/admin/users").status_code == 403


def test_signing_out_ends_the_console_and_the_sso_session(operator):
    answer = operator.post_form("/admin/users", "/admin/logout")
    assert answer.status_code == 200
    assert operator.get("/admin/users").status_code == 302


def test_a_callback_without_the_browsers_state_starts_nothing(app):
    add_admin(app)
    http = app.test_client()
    answer = http.get("/admin/callback?code=abc&state=forged")
    assert answer.status_code == 400
    assert http.get("/admin/users").status_code == 302


def test_a_code_is_redeemed_once(app):
    """A stolen callback URL replayed in the same browser does not sign in again."""
    add_admin(app)
    operator = Operator(app)
    operator.client.get("/admin/login")
    started = operator.client.get("/admin/login")
    operator.person.page = operator.client.get(started.headers["Location"]).get_data(as_text=True)
    operator.person.submit_email(ADMIN)
    operator.person.open_code_page()
    back = operator.person.enter_code(operator.person.read_code(ADMIN))
    callback = urlsplit(back.headers["Location"])
    url = f"{callback.path}?{callback.query}"
    assert operator.client.get(url).status_code == 303
    assert operator.client.get(url).status_code == 400  # the state was used


# --- Users --------------------------------------------------------------------------


def test_an_admin_finds_a_user_by_email_blocks_them_and_their_sessions_end(operator):
    app = operator.app
    person = user_signs_in(app, "carol@example.com")
    assert person.client.get("/authorize").status_code  # their browser has a session
    found = operator.get("/admin/users?q=CAROL@example.com")
    assert "carol@example.com" in visible_text(found.get_data(as_text=True))
    prefix = operator.get("/admin/users?q=car").get_data(as_text=True)
    assert "carol@example.com" in prefix and ADMIN not in visible_text(prefix).split("Users")[-1]
    with app.app_context():
        sub = users.find_by_identity("email", "carol@example.com").sub
    blocked = operator.post_form(f"/admin/users/{sub}", f"/admin/users/{sub}/block")
    assert blocked.status_code == 303
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(sub=sub)).one()
        assert user.blocked
        live = db.session.scalars(
            select(BrowserSession).filter_by(user_id=user.id, ended_at=None)
        ).all()
        assert live == []
        event = db.session.scalars(select(Event).filter_by(type="admin.user_blocked")).one()
        assert event.user_id == user.id and event.detail["by"] != sub
    shown = operator.get(blocked.headers["Location"]).get_data(as_text=True)
    assert "Blocked. Their sessions have ended." in visible_text(shown)
    unblocked = operator.post_form(f"/admin/users/{sub}", f"/admin/users/{sub}/unblock")
    assert unblocked.status_code == 303
    with app.app_context():
        assert not db.session.scalars(select(User).filter_by(sub=sub)).one().blocked
        assert db.session.scalars(select(Event).filter_by(type="admin.user_unblocked")).one()


def test_a_post_without_its_csrf_token_is_refused(operator):
    app = operator.app
    user_signs_in(app, "dave@example.com")
    with app.app_context():
        sub = users.find_by_identity("email", "dave@example.com").sub
    for token in (None, "forged"):
        data = {} if token is None else {"csrf_token": token}
        answer = operator.client.post(f"/admin/users/{sub}/block", data=data)
        assert answer.status_code == 400
    with app.app_context():
        assert not users.find_by_identity("email", "dave@example.com").blocked


def test_the_users_list_paginates(operator):
    with operator.app.app_context():
        for number in range(30):
            users.create_with_identity("email", f"user{number:02d}@example.org")
        db.session.commit()
    first = operator.get("/admin/users?q=user").get_data(as_text=True)
    assert first.count("@example.org</a>") == 25
    assert "user29@example.org" in first and "user04@example.org" not in first
    next_url = form_free_link(first, 'rel="next"')
    second = operator.get(next_url).get_data(as_text=True)
    assert second.count("@example.org</a>") == 5
    assert "user04@example.org" in second and "user29@example.org" not in second
    assert 'rel="next"' not in second


def form_free_link(html: str, marker: str) -> str:
    """The href of the link carrying `marker` (unescaped)."""
    import html as html_lib
    import re

    found = re.search(r'<a href="([^"]+)" ' + re.escape(marker), html)
    assert found, f"no link with {marker} on the page"
    return html_lib.unescape(found.group(1))


def test_an_unknown_user_is_a_404_page(operator):
    assert operator.get("/admin/users/nobody").status_code == 404


# --- Delivery -----------------------------------------------------------------------


def test_the_delivery_view_shows_the_gateways_500_and_the_retries(make_app, gateway):
    gateway.answer_with(500)
    app = make_app(**gateway.config(SMS_NUMBER_RATE_LIMIT="3 per 10 minutes"))
    add_admin(app)
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    assert person.submit_phone("+447400123456", "GB").status_code == 303
    with app.app_context():
        assert dispatcher.dispatch_due() == 0  # the first try: 500, retried later
    operator = Operator(app)
    assert operator.sign_in(ADMIN).status_code == 303
    answer = operator.get("/admin/delivery?q=%2B44 7400 123456")
    assert answer.status_code == 200
    text = visible_text(answer.get_data(as_text=True))
    assert "gateway HTTP 500" in text  # the provider's answer
    assert "retry in" in text  # the retry, from the delivery.retry event
    assert "SMS_NUMBER_RATE_LIMIT" in text and "2 left" in text
    assert "Budget for GB today" in text and "1 of 500 sent" in text
    assert len(gateway.received) == 1


def test_the_delivery_view_says_a_blocked_user_gets_nothing(operator):
    app = operator.app
    user_signs_in(app, "erin@example.com")
    with app.app_context():
        users.set_blocked(users.find_by_identity("email", "erin@example.com"), True)
    stranger = LoginPage(app.test_client())
    relying_app = RelyingApp.register(app)
    stranger.open_authorize(**relying_app.authorize_params())
    stranger.submit_email("erin@example.com")
    text = visible_text(operator.get("/admin/delivery?q=erin@example.com").get_data(as_text=True))
    assert "Blocked users get no message." in text
    assert "blocked" in text and "login.start" in text  # the refused start


def test_the_delivery_view_lists_the_sms_guards_refusals(make_app, gateway):
    app = make_app(**gateway.config(SMS_NUMBER_RATE_LIMIT="1 per 10 minutes"))
    add_admin(app)
    relying_app = RelyingApp.register(app, connections=("sms",))
    for expected in (303, 429):
        person = LoginPage(app.test_client())
        person.open_authorize(**relying_app.authorize_params())
        assert person.submit_phone("+447400123456", "GB").status_code == expected
    operator = Operator(app)
    assert operator.sign_in(ADMIN).status_code == 303
    answer = operator.get("/admin/delivery?q=%2B44 7400 123456")
    text = visible_text(answer.get_data(as_text=True))
    assert "sms.refused number" in text  # the event and what refused it (the number limit)


@pytest.mark.parametrize("typed", ["not an address", "07400 123456", "+1", "a@", "x" * 400])
def test_bad_input_in_the_delivery_view_gets_a_clear_message(operator, typed):
    answer = operator.get("/admin/delivery", query_string={"q": typed})
    assert answer.status_code == 400
    assert 'role="alert"' in answer.get_data(as_text=True)


# --- Apps and connections -----------------------------------------------------------


def test_an_admin_changes_an_apps_callbacks_and_branding(operator):
    app = operator.app
    relying_app = RelyingApp.register(app, name="Shop")
    page = f"/admin/apps/{relying_app.client_id}"
    assert "Shop" in operator.get("/admin/apps").get_data(as_text=True)
    saved = operator.post_form(
        page,
        f"{page}/settings",
        callbacks="https://shop.example/cb\nhttps://shop.example/cb2",
    )
    assert saved.status_code == 303
    refused = operator.post_form(page, f"{page}/settings", callbacks="javascript:alert(1)")
    assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)
    branded = operator.post_form(page, f"{page}/branding", primary_color="#ea5323")
    assert branded.status_code == 303
    with app.app_context():
        client = db.session.scalars(select(Client).filter_by(client_id=relying_app.client_id)).one()
        assert client.redirect_uris == ["https://shop.example/cb", "https://shop.example/cb2"]
        assert client.primary_color == "#ea5323"
        actions = db.session.scalars(select(Event).where(Event.type.like("admin.console.%"))).all()
        assert {e.type for e in actions} == {
            "admin.console.app_settings",
            "admin.console.app_branding",
        }
    preview = operator.get(f"{page}/preview/email")
    assert preview.status_code == 200 and "Shop" in preview.get_data(as_text=True)
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]


def test_an_admin_changes_a_connection_and_previews_a_template(operator):
    saved = operator.post_form(
        "/admin/connections/email", "/admin/connections/email", code_length="8", send="code"
    )
    assert saved.status_code == 303
    bad = operator.post_form(
        "/admin/connections/email", "/admin/connections/email", code_length="x"
    )
    assert bad.status_code == 400
    editor = "/admin/connections/email/templates/email_code?part=subject&lang=en"
    page = operator.get(editor).get_data(as_text=True)
    preview = operator.client.post(
        "/admin/connections/email/templates/email_code/preview?part=subject&lang=en",
        data={
            "csrf_token": csrf_token(page),
            "source": "Your code: {{ code }} for {{ application.name }}",
        },
    )
    assert preview.status_code == 200
    assert "Your code: 428913 for Acme Notes" in preview.get_data(as_text=True)
    assert preview.headers["Content-Security-Policy"].startswith("sandbox")
    typo = operator.client.post(
        "/admin/connections/email/templates/email_code/preview?part=subject&lang=en",
        data={"csrf_token": csrf_token(page), "source": "{{ cod }}"},
    )
    assert "cod" in visible_text(typo.get_data(as_text=True))
    with operator.app.app_context():
        from app.accounts.connections import get_connection

        assert get_connection("email").code_length == 8
        assert get_connection("email").templates == {}  # a preview stores nothing


# --- flask admins -------------------------------------------------------------------


def test_flask_admins_add_list_remove(app, runner):
    added = runner.invoke(args=["admins", "add", " Ops@Example.com "])
    assert added.exit_code == 0 and "ops@example.com is an admin." in added.output
    again = runner.invoke(args=["admins", "add", "ops@example.com"])
    assert again.exit_code == 1 and "already an admin" in again.output
    bad = runner.invoke(args=["admins", "add", "not-an-address"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    listed = runner.invoke(args=["admins", "list"])
    assert listed.exit_code == 0 and listed.output.startswith("ops@example.com  added ")
    removed = runner.invoke(args=["admins", "remove", "ops@example.com"])
    assert removed.exit_code == 0
    assert runner.invoke(args=["admins", "remove", "ops@example.com"]).exit_code == 1
    assert "No admins yet" in runner.invoke(args=["admins", "list"]).output
    with app.app_context():
        types = [e.type for e in db.session.scalars(select(Event).order_by(Event.id))]
        assert types == ["admin.admin_added", "admin.admin_removed"]


def test_an_admin_who_is_blocked_loses_the_console(operator):
    with operator.app.app_context():
        users.set_blocked(users.find_by_identity("email", ADMIN), True)
    answer = operator.get("/admin/users")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/login")


# --- Hostile input, signed in -------------------------------------------------------

CONSOLE_FIELDS = (
    "q", "before", "part", "lang", "done", "name", "callbacks", "logout_urls", "origins",
    "connections", "logo_url", "primary_color", "background_color", "theme", "send",
    "code_length", "ttl_seconds", "max_attempts", "signup_allowed", "allowed_countries",
    "daily_budget", "source", "language",
)  # fmt: skip


def _console_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def _fill(rule: str, value) -> str:
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: value(m.group(1)), rule)


def test_hostile_values_reach_the_console_views_and_get_clear_answers(operator):
    """Every console route, signed in as an admin and past CSRF, with hostile path
    segments, query strings and form bodies: never a 5xx, always our page."""
    from hostile_values import HOSTILE_SEGMENTS

    app = operator.app
    shop = RelyingApp.register(app, name="Shop")
    with app.app_context():  # someone else: blocking or signing out oneself ends the sweep
        sub = users.create_with_identity("email", "hal@example.com").sub
        db.session.commit()
    real = {"sub": sub, "client_id": shop.client_id, "name": "email", "template": "email_code"}
    real["screen"] = "email"
    app.config["WTF_CSRF_ENABLED"] = False
    values = list(HOSTILE_SEGMENTS.values()) + ["", "1", "sms", "+", "%", "-"]
    problems = []
    for rule, method in _console_routes(app):
        if rule.endswith("/logout"):
            continue  # ends the session the sweep runs in (checked on its own above)
        cases = [(_fill(rule, lambda name: real[name]), value) for value in values]
        if "<" in rule:
            cases += [(_fill(rule, lambda name, v=v: v), "x") for v in values]
        for path, value in cases:
            fields = "&".join(f"{name}={value}" for name in CONSOLE_FIELDS)
            if method == "GET":
                answer = operator.client.get(f"{path}?{fields}")
            else:
                answer = operator.client.post(
                    path, data=fields, content_type="application/x-www-form-urlencoded"
                )
            body = answer.get_data(as_text=True)
            handled = answer.status_code < 500 and "Traceback" not in body
            ours = answer.mimetype != "text/html" or answer.status_code < 400
            ours = ours or 'class="lk-' in body or 'class="co' in body
            if not (handled and ours):
                problems.append(f"{method} {path[:80]} {value[:20]!r}: {answer.status_code}")
    assert problems == []
    assert operator.get("/admin/users").status_code == 200  # still signed in


def test_an_admin_cannot_block_themselves(operator):
    with operator.app.app_context():
        sub = users.find_by_identity("email", ADMIN).sub
    answer = operator.post_form(f"/admin/users/{sub}", f"/admin/users/{sub}/block")
    assert answer.status_code == 400
    assert "You can't block yourself" in visible_text(answer.get_data(as_text=True))
    assert operator.get("/admin/users").status_code == 200


def test_a_logo_set_in_the_console_is_fetched_and_a_refused_one_is_explained(operator):
    from image_server import ImageServer, tiny_png

    shop = RelyingApp.register(operator.app, name="Shop")
    page = f"/admin/apps/{shop.client_id}"
    with ImageServer() as images:
        good = images.serve("/logo.png", tiny_png(), "image/png")
        assert operator.post_form(page, f"{page}/branding", logo_url=good).status_code == 303
        with operator.app.app_context():
            sha = db.session.scalars(select(Client.logo_sha256).filter_by(name="Shop")).one()
        assert sha and f"/logos/{sha}" in operator.get(f"{page}/preview/email").get_data(
            as_text=True
        )
        bad = images.serve("/logo.svg", b"<svg/>", "image/svg+xml")
        refused = operator.post_form(page, f"{page}/branding", logo_url=bad)
        assert refused.status_code == 200
        assert 'role="alert"' in refused.get_data(as_text=True)


def test_an_admin_signs_a_user_out_everywhere(operator):
    app = operator.app
    person = user_signs_in(app, "gus@example.com")
    with app.app_context():
        user = users.find_by_identity("email", "gus@example.com")
        sub, user_id = user.sub, user.id
    done = operator.post_form(f"/admin/users/{sub}", f"/admin/users/{sub}/sign-out")
    assert done.status_code == 303
    shown = visible_text(operator.get(done.headers["Location"]).get_data(as_text=True))
    assert "Signed out everywhere." in shown and "Sign out everywhere" not in shown
    with app.app_context():
        live = db.session.scalars(select(BrowserSession).filter_by(user_id=user_id, ended_at=None))
        assert live.all() == []
        event = db.session.scalars(select(Event).filter_by(type="admin.user_signed_out")).one()
        assert event.detail["by"].startswith("admin:")
    relying_app = RelyingApp.register(app)
    again = person.open_authorize(**relying_app.authorize_params())
    assert again.status_code == 200  # the login page, not a silent sign-in
