"""Logins and sessions, as simple-salesforce 1.12 performs them.

- SOAP ``login`` at ``/services/Soap/u/{version}``: the envelope's ``username`` and
  ``password`` (password + security token) are checked against registered users; the reply is
  a ``loginResponse`` whose un-prefixed ``sessionId`` and ``serverUrl`` the client reads.
  Failures are HTTP 500 SOAP faults with ``sf:exceptionCode`` INVALID_LOGIN.
- OAuth ``/services/oauth2/token`` with three grants: JWT bearer (RS256 assertion verified
  against the certificate registered for the consumer key; ``exp`` arrives as a string, so it
  is checked by hand), client credentials (HTTP Basic consumer key:secret, runs as the app's
  user) and username-password. Errors are ``{"error", "error_description"}`` with HTTP 400.
- Sessions expire after ``session_ttl`` seconds without use, or all at once through
  ``expire_all``; an unknown or expired token gets 401 INVALID_SESSION_ID.
"""

import base64
import secrets
import threading
import time
from html import escape
from xml.etree import ElementTree

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .errors import invalid_session

PARTNER_NS = "urn:partner.soap.sforce.com"
AUDIENCE_SUFFIX = ".salesforce.com"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."

LOGIN_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode>\
<faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">\
<sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage>\
</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{base}/services/Soap/m/{version}/{org15}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>\
<serverUrl>{base}/services/Soap/u/{version}/{org15}</serverUrl>\
<sessionId>{session_id}</sessionId><userId>{user_id}</userId>\
<userInfo><organizationId>{org_id}</organizationId><organizationName>Sandbox Org</organizationName>\
<sessionSecondsValid>{ttl}</sessionSecondsValid><userEmail>{username}</userEmail>\
<userFullName>{username}</userFullName><userId>{user_id}</userId><userName>{username}</userName>\
</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


class OAuthError(Exception):
    """An OAuth token endpoint error: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


def load_public_key(pem):
    """Accept a PEM X.509 certificate (as uploaded to a connected app) or a PEM public key."""
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


class AuthRegistry:
    """Users, connected apps and live sessions of the sandbox org."""

    def __init__(self, store, session_ttl=7200.0):
        self.store = store
        self.session_ttl = session_ttl
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.users = {}
            self.apps = {}
            self.sessions = {}

    # ------------------------------------------------------------ configuration
    def add_user(self, username, password=None, security_token="", email=None):
        """Register a user (also a User record); returns its 18-character user id."""
        existing = self.store.find_by("User", "Username", username)
        if existing:
            user_id = existing[0]["Id"]
        else:
            user_id = self.store.create("User", {"Username": username, "LastName": username,
                                                 "Email": email or username},
                                        trusted=True, notify=False)["Id"]
        with self._lock:
            self.users[username] = {"password": password, "security_token": security_token or "",
                                    "user_id": user_id}
        return user_id

    def add_app(self, consumer_key, consumer_secret=None, certificate=None, run_as=None):
        """Register a connected app: a secret enables client credentials and the password
        grant, a certificate (PEM) enables the JWT bearer grant; ``run_as`` names the user
        client-credentials tokens act as (defaults to the integration user)."""
        public_key = load_public_key(certificate) if certificate else None
        with self._lock:
            self.apps[consumer_key] = {"secret": consumer_secret, "public_key": public_key,
                                       "run_as": run_as}

    # ------------------------------------------------------------ sessions
    def issue(self, user_id, username, method):
        token = f"{self.store.org_id[:15]}!{secrets.token_urlsafe(40)}"
        with self._lock:
            self.sessions[token] = {"user_id": user_id, "username": username, "method": method,
                                    "last_used": time.monotonic()}
        return token

    def issue_for(self, username=None):
        """Mint a session directly (for ``Salesforce(session_id=..., instance_url=...)``)."""
        user_id, username = self._user_id(username)
        return self.issue(user_id, username, "direct")

    def _user_id(self, username):
        if username and username in self.users:
            return self.users[username]["user_id"], username
        return self.store.default_user_id, "integration@sandbox.example"

    def check(self, authorization):
        """Return the session for an ``Authorization: Bearer`` header or raise 401."""
        token = (authorization or "").removeprefix("Bearer ").removeprefix("OAuth ").strip()
        with self._lock:
            session = self.sessions.get(token)
            now = time.monotonic()
            if session is None or now - session["last_used"] >= self.session_ttl:
                self.sessions.pop(token, None)
                raise invalid_session()
            session["last_used"] = now
            return session

    def expire_all(self):
        """Invalidate every live session now; returns how many there were."""
        with self._lock:
            count = len(self.sessions)
            self.sessions.clear()
        return count

    # ------------------------------------------------------------ SOAP login
    def soap_login(self, body, base_url, version):
        """Answer a SOAP login envelope: ``(status, xml text)``."""
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return 500, LOGIN_FAULT.format(code="INVALID_LOGIN", message="Malformed request")
        username = root.findtext(f".//{{{PARTNER_NS}}}username") or ""
        password = root.findtext(f".//{{{PARTNER_NS}}}password") or ""
        organization = root.findtext(f".//{{{PARTNER_NS}}}organizationId")
        user = self.users.get(username)
        accepted = user is not None and user["password"] is not None and password in (
            user["password"] + user["security_token"],
            user["password"] if not user["security_token"] else None)
        if organization is not None and organization[:15] != self.store.org_id[:15]:
            accepted = False
        if not accepted:
            return 500, LOGIN_FAULT.format(code="INVALID_LOGIN", message=INVALID_LOGIN)
        token = self.issue(user["user_id"], username, "soap")
        return 200, LOGIN_RESPONSE.format(
            base=base_url, version=version, org15=self.store.org_id[:15],
            org_id=self.store.org_id, session_id=token, user_id=user["user_id"],
            ttl=int(self.session_ttl), username=escape(username))

    # ------------------------------------------------------------ OAuth
    def oauth_token(self, form, authorization, base_url):
        """Answer ``/services/oauth2/token``: the token JSON, or raise OAuthError."""
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            user_id, username = self._jwt_user(form.get("assertion", ""))
        elif grant == "client_credentials":
            key, secret = self._client_credentials(form, authorization)
            app = self._app_with_secret(key, secret)
            user_id, username = self._user_id(app["run_as"])
        elif grant == "password":
            self._app_with_secret(form.get("client_id"), form.get("client_secret"))
            username = form.get("username", "")
            user = self.users.get(username)
            if user is None or (form.get("password") != (user["password"] or "") + user[
                    "security_token"] and form.get("password") != user["password"]):
                raise OAuthError("invalid_grant", "authentication failure")
            user_id = user["user_id"]
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        token = self.issue(user_id, username, grant)
        issued = str(int(time.time() * 1000))
        return {"access_token": token, "instance_url": base_url,
                "id": f"{base_url}/id/{self.store.org_id}/{user_id}", "token_type": "Bearer",
                "scope": "api", "issued_at": issued,
                "signature": base64.b64encode(secrets.token_bytes(32)).decode()}

    @staticmethod
    def _client_credentials(form, authorization):
        if authorization and authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                raise OAuthError("invalid_client", "invalid client credentials") from None
            key, _, secret = decoded.partition(":")
            return key, secret
        return form.get("client_id"), form.get("client_secret")

    def _app_with_secret(self, key, secret):
        app = self.apps.get(key or "")
        if app is None:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if not app["secret"] or not secrets.compare_digest(app["secret"], secret or ""):
            raise OAuthError("invalid_client", "invalid client credentials")
        return app

    def _jwt_user(self, assertion):
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        app = self.apps.get(claims.get("iss", ""))
        if app is None:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if app["public_key"] is None:
            raise OAuthError("invalid_grant", "invalid assertion")
        try:
            jwt.decode(assertion, app["public_key"], algorithms=["RS256"],
                       options={"verify_exp": False, "verify_aud": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        try:
            expired = int(claims.get("exp")) <= time.time()
        except (TypeError, ValueError):
            expired = True
        if expired:
            raise OAuthError("invalid_grant", "expired authorization code")
        audience = str(claims.get("aud", ""))
        if not (audience.startswith("https://") and audience.endswith(AUDIENCE_SUFFIX)):
            raise OAuthError("invalid_grant", "audience is invalid")
        user = self.users.get(claims.get("sub", ""))
        if user is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return user["user_id"], claims["sub"]
