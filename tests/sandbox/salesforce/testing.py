"""Helpers for tests and for pointing simple-salesforce at the sandbox.

simple-salesforce builds every URL as ``https://`` (login at ``https://{domain}.salesforce.com``,
REST at ``https://{instance}``), so a plain-HTTP sandbox needs a transport that rewrites
those URLs. ``SandboxRoutingAdapter`` is that transport: mounted on ``https://`` of a
``requests.Session`` it sends ``*.salesforce.com`` and the sandbox's own host:port to the
sandbox over HTTP, and leaves every other URL alone. Pass the session as
``Salesforce(..., session=sandbox_session(base_url))``.
"""

import datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

SALESFORCE_SUFFIXES = (".salesforce.com", ".force.com")


class SandboxRoutingAdapter(HTTPAdapter):
    """Rewrites https Salesforce URLs (and https to the sandbox host) to the HTTP sandbox."""

    def __init__(self, base_url, **kwargs):
        super().__init__(**kwargs)
        target = urlsplit(base_url)
        self.scheme, self.netloc = target.scheme, target.netloc

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if host.endswith(SALESFORCE_SUFFIXES) or parts.netloc == self.netloc:
            request.url = urlunsplit((self.scheme, self.netloc, parts.path, parts.query,
                                      parts.fragment))
        return super().send(request, **kwargs)


def sandbox_session(base_url):
    """A ``requests.Session`` whose https Salesforce traffic goes to the sandbox."""
    session = requests.Session()
    session.mount("https://", SandboxRoutingAdapter(base_url))
    return session


def generate_rsa_certificate(common_name="odoo-connector"):
    """Return ``(private_key_pem, certificate_pem)`` for a JWT bearer connected app."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=365))
                   .sign(key, hashes.SHA256()))
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def connect_with_password(base_url, control, username="odoo@sandbox.example", password="pw",
                          security_token="TOKEN", version="59.0"):
    """Register a user and log in with SOAP username/password the way the connector would."""
    from simple_salesforce import Salesforce

    control.add_user(username, password, security_token)
    return Salesforce(username=username, password=password, security_token=security_token,
                      version=version, session=sandbox_session(base_url))


def connect_direct(base_url, control, username=None, version="59.0"):
    """A direct-mode client (``instance_url`` + ``session_id``) with a minted token."""
    from simple_salesforce import Salesforce

    token = control.new_session(username)["access_token"]
    return Salesforce(instance_url=base_url, session_id=token, version=version,
                      session=sandbox_session(base_url))
