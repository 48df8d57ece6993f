// A second, independent OAuth 2.0 authorization server for grantscope's probe tests:
// Jason Raimondi's @jmondi/oauth2-server (ts-oauth2-server, pinned in package.json) behind a
// small node:http server. The library decides every protocol question (client authentication,
// redirect URI matching, PKCE, code and refresh token checks); this file only supplies what the
// library leaves to its application: in-memory repositories written to the library's
// repository contracts, the HTTP routes of its documentation, RFC 8414 metadata (the library
// has no discovery), and the user's part of the authorization (the library has no login page:
// every valid authorization request is approved as the user `alice`, like the grantscope
// sandbox's --auto-approve). It listens on 127.0.0.1 only.
//
// Environment:
//   PORT                    port to listen on; 0 or unset picks a free one
//   ACCESS_TOKEN_TTL        seconds (default 3600, the library's default of 1h)
//   AUTHORIZATION_CODE_TTL  seconds (default 900, the library's default of 15m)
//   REFRESH_TOKEN_TTL       seconds (default 2592000)
//   DEBUG_JMONDI=1          log every error the library throws on stderr
//
// Prints `READY http://127.0.0.1:PORT` on stdout once listening; exits 0 on SIGTERM / SIGINT.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import {
  AuthCodeGrant,
  AuthorizationServer,
  DateInterval,
  JwtService,
  OAuthException,
} from '@jmondi/oauth2-server';
import { handleVanillaError, requestFromVanilla, responseToVanilla } from '@jmondi/oauth2-server/vanilla';

const HOST = '127.0.0.1';
const MAX_BODY = 64 * 1024;
const DEBUG = !!process.env.DEBUG_JMONDI;

function envSeconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive integer number of seconds, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const ttl = {
  access: envSeconds('ACCESS_TOKEN_TTL', 3600),
  code: envSeconds('AUTHORIZATION_CODE_TTL', 900),
  refresh: envSeconds('REFRESH_TOKEN_TTL', 30 * 24 * 3600),
};

const SCOPES = ['read', 'write'].map((name) => ({ name }));
const LOOPBACK_CALLBACK = 'http://127.0.0.1/callback';

// The registered clients (README.md has the table).
const CLIENTS = [
  {
    id: 'native',
    name: 'native',
    secret: null,
    redirectUris: [LOOPBACK_CALLBACK],
    allowedGrants: ['authorization_code', 'refresh_token'],
    scopes: SCOPES,
  },
  {
    id: 'web',
    name: 'web',
    secret: 'web-secret',
    redirectUris: [LOOPBACK_CALLBACK],
    allowedGrants: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: SCOPES,
  },
  {
    id: 'web2',
    name: 'web2',
    secret: 'web2-secret',
    redirectUris: [LOOPBACK_CALLBACK],
    allowedGrants: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: SCOPES,
  },
  {
    id: 'machine',
    name: 'machine',
    secret: 'machine-secret',
    redirectUris: [],
    allowedGrants: ['client_credentials'],
    scopes: SCOPES,
  },
];

const USERS = [{ id: 'alice', password: 'alice-password' }];

const random = () => crypto.randomBytes(24).toString('base64url');
const later = (seconds) => new Date(Date.now() + seconds * 1000);

function sameSecret(a, b) {
  const x = Buffer.from(String(a ?? ''));
  const y = Buffer.from(String(b ?? ''));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// In-memory repositories, to the contracts in the library's src/repositories/*.ts: a revoked
// token or code is stored with its expiry set to the epoch.
const db = { tokens: new Map(), codes: new Map() };

const clientRepository = {
  async getByIdentifier(clientId) {
    const client = CLIENTS.find((c) => c.id === clientId);
    if (!client) throw OAuthException.invalidClient('unknown client');
    return client;
  },
  async isClientValid(grantType, client, clientSecret) {
    if (!client.allowedGrants.includes(grantType)) return false;
    if (client.secret) return sameSecret(client.secret, clientSecret);
    return true;
  },
};

const scopeRepository = {
  async getAllByIdentifiers(names) {
    return SCOPES.filter((s) => names.includes(s.name));
  },
  async finalize(scopes, _grant, client) {
    return scopes.filter((s) => client.scopes.some((c) => c.name === s.name));
  },
};

const userRepository = {
  async getUserByCredentials(identifier, password) {
    const user = USERS.find((u) => u.id === identifier);
    if (!user) return undefined;
    if (password !== undefined && !sameSecret(user.password, password)) return undefined;
    return { id: user.id };
  },
};

const tokenRepository = {
  async issueToken(client, scopes, user) {
    return {
      accessToken: random(),
      accessTokenExpiresAt: later(ttl.access),
      refreshToken: null,
      refreshTokenExpiresAt: null,
      client,
      user: user ?? null,
      scopes,
    };
  },
  async issueRefreshToken(token, client) {
    if (!client.allowedGrants.includes('refresh_token')) return token;
    token.refreshToken = random();
    token.refreshTokenExpiresAt = later(ttl.refresh);
    db.tokens.set(token.accessToken, token);
    return token;
  },
  async persist(token) {
    db.tokens.set(token.accessToken, token);
  },
  async revoke(token) {
    token.accessTokenExpiresAt = new Date(0);
    token.refreshTokenExpiresAt = new Date(0);
    db.tokens.set(token.accessToken, token);
  },
  async revokeDescendantsOf(authCodeId) {
    for (const token of db.tokens.values()) {
      if (token.originatingAuthCodeId === authCodeId) await tokenRepository.revoke(token);
    }
  },
  async isRefreshTokenRevoked(token) {
    return Date.now() > (token.refreshTokenExpiresAt?.getTime() ?? 0);
  },
  async getByRefreshToken(refreshToken) {
    for (const token of db.tokens.values()) {
      if (token.refreshToken === refreshToken) return token;
    }
    throw OAuthException.invalidGrant('unknown refresh token');
  },
  async getByAccessToken(accessToken) {
    const token = db.tokens.get(accessToken);
    if (!token) throw OAuthException.invalidGrant('unknown access token');
    return token;
  },
};

const authCodeRepository = {
  async getByIdentifier(code) {
    const found = db.codes.get(code);
    if (!found) throw OAuthException.invalidGrant('unknown authorization code');
    return found;
  },
  issueAuthCode(client, user, scopes) {
    return {
      code: random(),
      user: user ?? null,
      client,
      scopes,
      expiresAt: later(ttl.code),
      redirectUri: null,
      codeChallenge: null,
      codeChallengeMethod: null,
    };
  },
  async persist(authCode) {
    db.codes.set(authCode.code, authCode);
  },
  async isRevoked(code) {
    const found = db.codes.get(code);
    return !found || Date.now() > found.expiresAt.getTime();
  },
  async revoke(code) {
    const found = db.codes.get(code);
    if (found) found.expiresAt = new Date(0);
  },
};

// The library's code lifetime is a protected field (15 minutes); a subclass sets it.
class ConfiguredAuthCodeGrant extends AuthCodeGrant {
  constructor(...args) {
    super(...args);
    this.authCodeTTL = new DateInterval(`${ttl.code}s`);
  }
}

function buildServer(issuer) {
  // The library's defaults (src/options.ts), spelled out because the code grant is built here
  // too; only `issuer` is ours (tokens carry it as `iss`).
  const options = {
    requiresPKCE: true,
    requiresS256: true,
    notBeforeLeeway: 0,
    tokenCID: 'id',
    issuer,
    scopeDelimiter: ' ',
    authenticateIntrospect: true,
    authenticateRevoke: true,
    implicitRedirectMode: 'query',
  };
  const jwt = new JwtService(crypto.randomBytes(32).toString('hex'));
  const server = new AuthorizationServer(clientRepository, tokenRepository, scopeRepository, jwt, options);
  const accessTTL = new DateInterval(`${ttl.access}s`);
  const codeGrant = new ConfiguredAuthCodeGrant(
    authCodeRepository,
    userRepository,
    clientRepository,
    tokenRepository,
    scopeRepository,
    jwt,
    options,
  );
  server.enableGrantTypes(
    [{ grant: codeGrant }, accessTTL],
    ['client_credentials', accessTTL],
    ['refresh_token', accessTTL],
  );
  return server;
}

function metadata(issuer) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/token/introspect`,
    revocation_endpoint: `${issuer}/token/revoke`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: SCOPES.map((s) => s.name),
  };
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw OAuthException.badRequest('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// A node:http request as the Fetch API Request the library's vanilla adapter reads.
async function toFetchRequest(req, issuer) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  return new Request(new URL(req.url, issuer), { method: req.method, headers, body });
}

async function send(res, response) {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(Buffer.from(await response.arrayBuffer()));
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function route(authorization, issuer) {
  return async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    try {
      if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server') {
        return json(res, 200, metadata(issuer));
      }
      if (req.method === 'GET' && path === '/authorize') {
        const request = await requestFromVanilla(await toFetchRequest(req, issuer));
        const authRequest = await authorization.validateAuthorizationRequest(request);
        authRequest.user = { id: 'alice' };
        authRequest.isAuthorizationApproved = true;
        const done = await authorization.completeAuthorizationRequest(authRequest);
        return send(res, responseToVanilla(done));
      }
      if (req.method === 'POST' && path === '/token') {
        const request = await requestFromVanilla(await toFetchRequest(req, issuer));
        return send(res, responseToVanilla(await authorization.respondToAccessTokenRequest(request)));
      }
      if (req.method === 'POST' && path === '/token/introspect') {
        const request = await requestFromVanilla(await toFetchRequest(req, issuer));
        return send(res, responseToVanilla(await authorization.introspect(request)));
      }
      if (req.method === 'POST' && path === '/token/revoke') {
        const request = await requestFromVanilla(await toFetchRequest(req, issuer));
        return send(res, responseToVanilla(await authorization.revoke(request)));
      }
      return json(res, 404, { error: 'not_found' });
    } catch (e) {
      if (DEBUG) console.error(`${req.method} ${path}:`, e);
      return send(res, responseToVanilla(handleVanillaError(e)));
    }
  };
}

const server = http.createServer();

server.on('error', (err) => {
  console.error(`server failed to listen: ${err.message}`);
  process.exit(1);
});

server.listen(Number(process.env.PORT || 0), HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST}:${port}`;
  let authorization;
  try {
    authorization = buildServer(issuer);
  } catch (err) {
    console.error(`authorization server configuration rejected: ${err.stack || err}`);
    process.exit(1);
  }
  server.on('request', route(authorization, issuer));
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
