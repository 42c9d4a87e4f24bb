"""The pages of the form_post and web_message response modes (app/oidc/response_modes
decides when they are shown and what they carry)."""

from __future__ import annotations

from flask import Flask, g, make_response

from app import oidc
from app.web import theme_setup

TEMPLATES = {"form_post": "oidc/form_post.html", "web_message": "oidc/web_message.html"}


def render_answer(answer: oidc.PageAnswer):
    """The authorization response as a page: a form posted to the callback, or a message
    for the window that opened /authorize (framed only by the origin it goes to)."""
    if answer.target_origin:
        g.frame_ancestors = answer.target_origin
    page = theme_setup.render_page(
        TEMPLATES[answer.mode],
        answer.client,
        action=answer.redirect_uri,
        fields=answer.params,
        is_error="error" in dict(answer.params),
        target_origin=answer.target_origin,
        message=answer.message,
    )
    return make_response(page, 200)


def init_app(app: Flask) -> None:
    oidc.set_renderer(app, render_answer)
