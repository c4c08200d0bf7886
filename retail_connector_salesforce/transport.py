"""The HTTP transport of the Salesforce adapter: timeouts, and an optional base URL override.

simple-salesforce builds every URL as ``https://`` (logins at ``https://{domain}.salesforce.com``,
REST at ``https://{instance}``). :class:`SalesforceTransport` is mounted on the adapter's
``requests.Session``: it gives every request a timeout and, when the backend has an "API base
URL override" (a local sandbox, a recording proxy), sends Salesforce hosts and the instance host
to that base instead, keeping path and query.

The session (:class:`SalesforceSession`) applies the rewrite before sending, so that whatever
wraps ``Session.send`` (proxies, Odoo's test guard that allows only local requests) sees the
real destination; the transport applies it too, for a request sent through it directly.
"""

from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

SALESFORCE_HOST_SUFFIXES = (".salesforce.com", ".force.com")
DEFAULT_TIMEOUT = (10, 120)  # seconds to connect, seconds to read


class SalesforceTransport(HTTPAdapter):
    """Adds a default timeout; with ``base_url``, routes Salesforce hosts to that base."""

    def __init__(self, base_url=None, timeout=DEFAULT_TIMEOUT, **kwargs):
        super().__init__(**kwargs)
        self.timeout = timeout
        self.target = urlsplit(base_url.rstrip("/")) if base_url else None
        self.instance_hosts = set()

    def add_instance(self, instance):
        """Route ``instance`` (``host[:port]`` of the org's instance URL) to the base too."""
        if instance:
            self.instance_hosts.add(instance.lower())

    def rewrite(self, url):
        """Return ``url`` as it is sent: moved to the override base when it is Salesforce's."""
        if self.target is None:
            return url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower()
        if (
            host.endswith(SALESFORCE_HOST_SUFFIXES)
            or netloc == self.target.netloc.lower()
            or netloc in self.instance_hosts
        ):
            return urlunsplit(
                (self.target.scheme, self.target.netloc, parts.path, parts.query, parts.fragment)
            )
        return url

    def send(self, request, **kwargs):
        request.url = self.rewrite(request.url)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class SalesforceSession(requests.Session):
    """A ``requests.Session`` whose requests are routed by its :class:`SalesforceTransport`.

    Every request of the adapter (logins, REST, collections) is sent here: ``guard``, when
    set, is called with each prepared request before it leaves (the dry run refuses writes).
    """

    transport = None
    guard = None

    def send(self, request, **kwargs):
        if self.guard is not None:
            self.guard(request)
        if self.transport is not None:
            request.url = self.transport.rewrite(request.url)
        return super().send(request, **kwargs)


LOGIN_PATHS = ("/services/oauth2/token", "/services/Soap/u/")


def is_write(request):
    """Whether a request changes data in the org (a login or a read does not)."""
    path = urlsplit(request.url).path
    if any(path.startswith(prefix) for prefix in LOGIN_PATHS):
        return False
    return request.method.upper() not in ("GET", "HEAD", "OPTIONS")


def build_session(base_url=None, timeout=DEFAULT_TIMEOUT):
    """Return ``(session, transport)``: a session with the transport on https and http."""
    session = SalesforceSession()
    transport = SalesforceTransport(base_url, timeout=timeout)
    session.mount("https://", transport)
    session.mount("http://", transport)
    session.transport = transport
    return session, transport
