"""Token requests with JSON bodies: Auth0's SDKs post JSON where RFC 6749 posts a form.

A JSON object's top-level string values are read exactly as the same names in a
form body would be, so every grant gives the same answer to both. Other values
(numbers, objects, lists, null) are not parameters and are left out, so a
request that relies on them is refused as a missing parameter.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from authlib.oauth2.rfc6749 import OAuth2Payload
from werkzeug.datastructures import CombinedMultiDict, MultiDict


def json_object(flask_request) -> dict | None:
    """A JSON body that is an object; None for anything else (garbled, a list, nested
    past Python's recursion limit)."""
    try:
        body = flask_request.get_json(silent=True)
    except RecursionError:  # "[[[[…": json raises this, not a ValueError
        return None
    return body if isinstance(body, dict) else None


def json_parameters(flask_request) -> MultiDict | None:
    """The parameters of a JSON body (an empty set for one that is not an object);
    None when the body is not JSON (read it as a form)."""
    if not flask_request.is_json:
        return None
    body = json_object(flask_request) or {}
    return MultiDict({k: v for k, v in body.items() if isinstance(v, str)})


def body_parameter(flask_request, name: str) -> str | None:
    """One parameter of a token request's body, JSON or form."""
    parameters = json_parameters(flask_request)
    return (parameters if parameters is not None else flask_request.form).get(name)


class JsonBodyPayload(OAuth2Payload):
    """Authlib's payload over the query string and a JSON body's parameters."""

    def __init__(self, args: MultiDict, parameters: MultiDict):
        self._data = CombinedMultiDict([args, parameters])

    @property
    def data(self):
        return self._data

    @cached_property
    def datalist(self):
        values = defaultdict(list)
        for key in self._data:
            values[key].extend(self._data.getlist(key))
        return values
