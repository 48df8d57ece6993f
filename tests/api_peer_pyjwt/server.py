"""A protected API and the issuer of its tokens, for grantscope's API probes (`probe --api`).

PyJWT (pinned with `cryptography` in requirements.txt) signs the tokens and verifies every Bearer
token the API receives; the keys come from the issuer's own JWKS through PyJWT's PyJWKClient.
Correctly configured (the default) it refuses every forgery the probes make; with one documented
misconfiguration (MISCONFIG) it accepts what that mistake lets through. README.md beside this
file has the routes and the misconfigurations. 127.0.0.1 only; standard library HTTP server.

Environment:
  PORT       port to listen on; 0 or unset picks a free one
  ALG        RS256 (default) or ES256: the issuer's signing algorithm and the API's allow-list
  MISCONFIG  unset or `none`: correct; `verify-off`: jwt.decode with
             options={"verify_signature": False} (PyJWT then checks no claim either);
             `no-exp`: options={"verify_exp": False}; `no-aud`: options={"verify_aud": False}

Prints `READY http://127.0.0.1:PORT` on stdout once listening; exits 0 on SIGTERM / SIGINT.
"""

import json
import os
import re
import signal
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

HOST = "127.0.0.1"
# The API's identifier: the `aud` of its access tokens.
AUDIENCE = "https://api.peer.example/data"
# Another API's identifier (the `aud` of the other-audience token).
OTHER_AUDIENCE = "https://other-api.peer.example"
# The client the tokens were issued to (the `aud` of the ID token, `client_id` of the others).
CLIENT_ID = "peer-client"
SUBJECT = "alice"
SCOPE = "read"
MAX_BODY = 64 * 1024
BEARER = re.compile(r"^Bearer ([A-Za-z0-9\-._~+/]+=*)$")

ALG = os.environ.get("ALG") or "RS256"
if ALG not in ("RS256", "ES256"):
    sys.exit(f"ALG must be RS256 or ES256, got {ALG!r}")
MISCONFIG = os.environ.get("MISCONFIG") or "none"
if MISCONFIG not in ("none", "verify-off", "no-exp", "no-aud"):
    sys.exit(f"MISCONFIG must be none, verify-off, no-exp or no-aud, got {MISCONFIG!r}")

if ALG == "RS256":
    PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    PUBLIC_JWK = RSAAlgorithm.to_jwk(PRIVATE_KEY.public_key(), as_dict=True)
else:
    PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
    PUBLIC_JWK = ECAlgorithm.to_jwk(PRIVATE_KEY.public_key(), as_dict=True)
KID = str(uuid.uuid4())
JWKS = {"keys": [{**PUBLIC_JWK, "kid": KID, "alg": ALG, "use": "sig"}]}

# Set once the server listens.
ISSUER = ""
KEYS: "jwt.PyJWKClient | None" = None


def sign(typ, claims, iat):
    """One token signed by the issuer's key: `typ` in the header, `claims` plus iss, iat, jti."""
    payload = {**claims, "iss": ISSUER, "iat": iat, "jti": str(uuid.uuid4())}
    return jwt.encode(payload, PRIVATE_KEY, algorithm=ALG, headers={"kid": KID, "typ": typ})


def access_claims(aud, iat):
    """RFC 9068 access token claims for an audience, valid from `iat` for an hour."""
    return {"sub": SUBJECT, "aud": aud, "client_id": CLIENT_ID, "scope": SCOPE, "exp": iat + 3600}


def tokens():
    t = int(time.time())
    return {
        "access_token": sign("at+jwt", access_claims(AUDIENCE, t), t),
        # Issued two hours ago, expired an hour ago.
        "expired_token": sign("at+jwt", access_claims(AUDIENCE, t - 7200), t - 7200),
        "other_audience_token": sign("at+jwt", access_claims(OTHER_AUDIENCE, t), t),
        # An OpenID Connect ID token: typ JWT, aud = the client.
        "id_token": sign("JWT", {"sub": SUBJECT, "aud": CLIENT_ID, "exp": t + 3600, "auth_time": t}, t),
    }


def verify(token):
    """The API's check of one Bearer token: its claims, or an exception."""
    if MISCONFIG == "verify-off":
        return jwt.decode(token, options={"verify_signature": False})
    options = {"require": ["exp", "iat", "iss", "aud", "sub", "client_id", "jti"]}
    if MISCONFIG == "no-exp":
        options["verify_exp"] = False
    elif MISCONFIG == "no-aud":
        options["verify_aud"] = False
    key = KEYS.get_signing_key_from_jwt(token)
    decoded = jwt.decode_complete(
        token,
        key,
        algorithms=[ALG],
        issuer=ISSUER,
        audience=AUDIENCE,
        options=options,
    )
    # PyJWT does not check `typ`; an RFC 9068 access token says at+jwt (§2.1, §4).
    typ = str(decoded["header"].get("typ", "")).lower()
    if typ not in ("at+jwt", "application/at+jwt"):
        raise jwt.InvalidTokenError(f"typ {typ!r} is not at+jwt")
    return decoded["payload"]


def challenge(error=None, description=""):
    """RFC 6750 §3: the challenge, with the error for a token that was presented."""
    realm = 'realm="api_peer_pyjwt"'
    if not error:
        return f"Bearer {realm}"
    safe = re.sub(r"[\r\n]", " ", re.sub(r'["\\]', "'", str(description)))[:200]
    return f'Bearer {realm}, error="{error}", error_description="{safe}"'


class Handler(BaseHTTPRequestHandler):
    server_version = "api_peer_pyjwt"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def send(self, status, body, headers=None):
        text = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("cache-control", "no-store")
        self.send_header("content-length", str(len(text)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(text)

    def drain(self):
        length = self.headers.get("content-length")
        if length and length.isdigit() and int(length) <= MAX_BODY:
            self.rfile.read(int(length))
        elif length:
            self.close_connection = True

    def route(self):
        self.drain()
        path = urlsplit(self.path).path
        if self.command == "GET" and path == "/jwks":
            self.send(200, JWKS)
        elif self.command == "GET" and path == "/.well-known/oauth-authorization-server":
            # RFC 8414 metadata, for `--issuer`: this issuer has no OAuth endpoints, only its keys.
            self.send(200, {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        elif self.command == "GET" and path == "/tokens":
            self.send(200, tokens())
        elif path == "/api/data":
            self.api()
        else:
            self.send(404, {"error": "not_found"})

    def api(self):
        header = self.headers.get("authorization")
        if header is None:
            self.send(401, {"error": "unauthorized"}, {"www-authenticate": challenge()})
            return
        match = BEARER.match(header)
        if not match:
            why = "a Bearer token is expected"
            self.send(401, {"error": "invalid_request"}, {"www-authenticate": challenge("invalid_request", why)})
            return
        try:
            claims = verify(match.group(1))
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as err:
            reason = f"{type(err).__name__}: {err}"
            self.send(
                401,
                {"error": "invalid_token", "error_description": reason},
                {"www-authenticate": challenge("invalid_token", reason)},
            )
            return
        self.send(200, {"data": "the protected resource", "sub": claims.get("sub"), "scope": claims.get("scope")})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = route


def main():
    global ISSUER, KEYS
    server = ThreadingHTTPServer((HOST, int(os.environ.get("PORT") or 0)), Handler)
    server.daemon_threads = True
    ISSUER = f"http://{HOST}:{server.server_address[1]}"
    # The API fetches the issuer's keys as a deployed API would (cached, refreshed on an unknown kid).
    KEYS = jwt.PyJWKClient(f"{ISSUER}/jwks", timeout=10)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    print(f"READY {ISSUER}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
