"""HTTPS for the sandbox: a throw-away certificate authority and a server certificate.

Some clients only speak ``https://`` to a shop (the OCA connector builds its endpoint as
``https://{shop}/admin/api/...``). ``make_certificates(directory)`` writes a self-signed CA
and a server certificate for ``127.0.0.1`` and ``localhost`` signed by it; the client's
process trusts the CA through the usual variables (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``),
and ``ShopifySandbox(tls=...)`` serves the same Admin API over HTTPS on a second port next to
plain HTTP. Nothing here is committed: the files live in the caller's directory (a bench's
temporary folder) and expire after a few days.
"""

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOSTS = ("127.0.0.1", "localhost")


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    path.chmod(0o600)


def make_certificates(directory, hosts=HOSTS, days=7):
    """Write ``ca.pem``, ``server.pem`` and ``server-key.pem`` in ``directory``; returns a dict
    of their paths (``ca``, ``cert``, ``key``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    backend = default_backend()
    now = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
    until = now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1(), backend)
    ca_name = _name("Retail connector sandbox CA")
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256(), backend))
    key = ec.generate_private_key(ec.SECP256R1(), backend)
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(_name(hosts[0])).issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(until)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256(), backend))
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem",
             "key": directory / "server-key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(paths["key"], key)
    return {name: str(path) for name, path in paths.items()}


def server_context(cert, key):
    """The server side TLS context of the sandbox's HTTPS listener."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def client_env(ca_path, env=None):
    """``env`` (or a new dict) with the CA trusted by requests, urllib and OpenSSL."""
    env = dict(env or {})
    env["REQUESTS_CA_BUNDLE"] = str(ca_path)
    env["SSL_CERT_FILE"] = str(ca_path)
    return env
