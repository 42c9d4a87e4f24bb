"""flask commands (placeholder: being written)."""


def init_app(app):
    pass
