// A protected API and the issuer of its tokens, for grantscope's API probes (`probe --api`):
// panva's jose (pinned in package.json) signs the tokens and verifies every Bearer token the API
// receives. Correctly configured (the default) it refuses every forgery the probes make; with
// one documented misconfiguration (MISCONFIG) it accepts what that mistake lets through.
// README.md beside this file has the routes and the misconfigurations. 127.0.0.1 only.
//
// Environment:
//   PORT       port to listen on; 0 or unset picks a free one
//   ALG        RS256 (default) or ES256: the issuer's signing algorithm and the API's allow-list
//   MISCONFIG  unset or `none`: correct; `verify-off`: the API only decodes the token (jose's
//              decodeJwt, no signature and no claim checked); `no-exp`: jwtVerify with a
//              clockTolerance of ten years (expired tokens pass); `no-aud`: jwtVerify without
//              the `audience` option (any audience passes)
//
// Prints `READY http://127.0.0.1:PORT` on stdout once listening; exits 0 on SIGTERM / SIGINT.

import * as http from 'node:http';
import { randomUUID } from 'node:crypto';

import {
  SignJWT,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';

const HOST = '127.0.0.1';
// The API's identifier: the `aud` of its access tokens.
const AUDIENCE = 'https://api.peer.example/data';
// Another API's identifier (the `aud` of the other-audience token).
const OTHER_AUDIENCE = 'https://other-api.peer.example';
// The client the tokens were issued to (the `aud` of the ID token, `client_id` of the others).
const CLIENT_ID = 'peer-client';
const SUBJECT = 'alice';
const SCOPE = 'read';
const MAX_HEADER_BYTES = 16 * 1024;

const ALG = process.env.ALG || 'RS256';
if (!['RS256', 'ES256'].includes(ALG)) {
  console.error(`ALG must be RS256 or ES256, got ${JSON.stringify(ALG)}`);
  process.exit(2);
}
const MISCONFIG = process.env.MISCONFIG || 'none';
if (!['none', 'verify-off', 'no-exp', 'no-aud'].includes(MISCONFIG)) {
  console.error(`MISCONFIG must be none, verify-off, no-exp or no-aud, got ${JSON.stringify(MISCONFIG)}`);
  process.exit(2);
}

const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
const KID = randomUUID();
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: ALG, use: 'sig' }] };
const keySet = createLocalJWKSet(jwks);
let issuer = '';

const now = () => Math.floor(Date.now() / 1000);

// One token signed by the issuer's key: `typ` in the header, `claims` plus iss, iat, jti.
function sign(typ, claims, iat) {
  return new SignJWT({ ...claims, iss: issuer, jti: randomUUID() })
    .setProtectedHeader({ alg: ALG, kid: KID, typ })
    .setIssuedAt(iat)
    .sign(privateKey);
}

// RFC 9068 access token claims for an audience, valid from `iat` for an hour.
const accessClaims = (aud, iat) => ({
  sub: SUBJECT,
  aud,
  client_id: CLIENT_ID,
  scope: SCOPE,
  exp: iat + 3600,
});

async function tokens() {
  const t = now();
  return {
    access_token: await sign('at+jwt', accessClaims(AUDIENCE, t), t),
    // Issued two hours ago, expired an hour ago.
    expired_token: await sign('at+jwt', accessClaims(AUDIENCE, t - 7200), t - 7200),
    other_audience_token: await sign('at+jwt', accessClaims(OTHER_AUDIENCE, t), t),
    // An OpenID Connect ID token: typ JWT, aud = the client.
    id_token: await sign('JWT', { sub: SUBJECT, aud: CLIENT_ID, exp: t + 3600, auth_time: t }, t),
  };
}

// The API's check of one Bearer token; resolves to its claims or throws.
async function verify(token) {
  switch (MISCONFIG) {
    case 'verify-off':
      return decodeJwt(token);
    case 'no-exp':
      return (await jwtVerify(token, keySet, { ...verifyOptions(), clockTolerance: '10 years' })).payload;
    case 'no-aud': {
      const { audience: _dropped, ...options } = verifyOptions();
      return (await jwtVerify(token, keySet, options)).payload;
    }
    default:
      return (await jwtVerify(token, keySet, verifyOptions())).payload;
  }
}

// The correct options: the issuer's one algorithm, its issuer, this API's audience, an RFC 9068
// access token (`typ` at+jwt), and the claims RFC 9068 §2.2 requires.
function verifyOptions() {
  return {
    algorithms: [ALG],
    issuer,
    audience: AUDIENCE,
    typ: 'at+jwt',
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
  };
}

// RFC 8414 metadata, for `--issuer`: this issuer has no OAuth endpoints, only its keys.
const metadata = () => ({ issuer, jwks_uri: `${issuer}/jwks` });

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// RFC 6750 §3: the challenge, with the error for a token that was presented.
function challenge(error, description) {
  const realm = 'realm="api_peer_jose"';
  if (!error) return `Bearer ${realm}`;
  const safe = String(description).replace(/["\\]/g, "'").replace(/[\r\n]/g, ' ').slice(0, 200);
  return `Bearer ${realm}, error="${error}", error_description="${safe}"`;
}

async function api(req, res) {
  const header = req.headers.authorization;
  if (header === undefined) {
    send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': challenge() });
    return;
  }
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
  if (!match) {
    send(res, 401, { error: 'invalid_request' }, { 'www-authenticate': challenge('invalid_request', 'a Bearer token is expected') });
    return;
  }
  let claims;
  try {
    claims = await verify(match[1]);
  } catch (err) {
    const reason = `${err.code || err.name}: ${err.message}`;
    send(res, 401, { error: 'invalid_token', error_description: reason }, { 'www-authenticate': challenge('invalid_token', reason) });
    return;
  }
  send(res, 200, { data: 'the protected resource', sub: claims.sub ?? null, scope: claims.scope ?? null });
}

const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
  // No request body is read; drain and cap whatever comes.
  let seen = 0;
  req.on('data', (chunk) => {
    seen += chunk.length;
    if (seen > 64 * 1024) req.destroy();
  });
  const path = new URL(req.url, issuer).pathname;
  const route = `${req.method} ${path}`;
  Promise.resolve()
    .then(async () => {
      if (route === 'GET /jwks') send(res, 200, jwks);
      else if (route === 'GET /.well-known/oauth-authorization-server') send(res, 200, metadata());
      else if (route === 'GET /tokens') send(res, 200, await tokens());
      else if (path === '/api/data') await api(req, res);
      else send(res, 404, { error: 'not_found' });
    })
    .catch((err) => {
      console.error(`error on ${route}: ${err.stack || err}`);
      if (!res.headersSent) send(res, 500, { error: 'server_error' });
    });
});

server.on('error', (err) => {
  console.error(`server failed to listen: ${err.message}`);
  process.exit(1);
});

server.listen(Number(process.env.PORT || 0), HOST, () => {
  issuer = `http://${HOST}:${server.address().port}`;
  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
