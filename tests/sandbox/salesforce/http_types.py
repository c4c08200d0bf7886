"""The small request/response/router layer shared by the REST, Bulk and control handlers.

Handlers take a ``Request`` and return a ``Response`` (or raise ``ApiError``); routes are
``(method, path regex, handler, name)`` rows, the name being what the call counters show.
"""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from .errors import ApiError, not_found


@dataclass
class Request:
    """One HTTP request as the handlers see it."""

    method: str
    path: str
    query_string: str = ""
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    params: dict = field(default_factory=dict)
    version: str = ""
    session: dict = None

    @property
    def query(self):
        """Query parameters, first value of each."""
        return {key: items[0] for key, items in
                parse_qs(self.query_string, keep_blank_values=True).items()}

    def header(self, name, default=None):
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self):
        """The body parsed as JSON; 400 JSON_PARSER_ERROR when it is not."""
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {error}") from None

    def form(self):
        return {key: items[0] for key, items in
                parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict = field(default_factory=dict)


def json_response(status, data, headers=None):
    return Response(status, json.dumps(data).encode(), headers=dict(headers or {}))


def error_response(error):
    return json_response(error.status, error.as_rest_body())


def text_response(status, text, content_type, headers=None):
    return Response(status, text.encode("utf-8"), content_type, dict(headers or {}))


def no_content():
    return Response(204, b"", content_type=None)


class Router:
    """Routes ``(method, path)`` to a handler; regex groups become ``request.params``."""

    def __init__(self):
        self.routes = []

    def add(self, method, pattern, handler, name):
        self.routes.append((method, re.compile("^" + pattern + "$"), handler, name))

    def match(self, method, path):
        """Return ``(handler, params, name)``; 404 NOT_FOUND or 405 when nothing matches."""
        path_matched = False
        for route_method, regex, handler, name in self.routes:
            match = regex.match(path)
            if match:
                path_matched = True
                if route_method == method:
                    return handler, match.groupdict(), name
        if path_matched:
            raise ApiError(405, "METHOD_NOT_ALLOWED",
                           f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH,DELETE")
        raise not_found()
