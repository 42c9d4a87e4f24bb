"""Placeholder: being written."""


def init_app(app):
    pass


def wake():
    pass
