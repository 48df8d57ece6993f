// A real, independent OpenID Provider for grantscope's end-to-end tests: panva's oidc-provider,
// configured with the clients and features the tests exercise. It listens on 127.0.0.1 only.
//
// Environment:
//   PORT                 port to listen on; 0 or unset picks a free one (the READY line tells which)
//   KEYS_FILE            path of a private JWKS; used when it exists, otherwise freshly generated
//                        RS256 + ES256 keys are written there (so a restart can keep or change keys)
//   ACCESS_TOKEN_TTL     seconds, access tokens (default 3600)
//   CLIENT_CREDENTIALS_TTL  seconds, client credentials tokens (default ACCESS_TOKEN_TTL or 600)
//   ID_TOKEN_TTL         seconds (default 3600)
//   REFRESH_TOKEN_TTL    seconds (default 1209600)
//   DEVICE_CODE_TTL      seconds (default 600)
//   AUTHORIZATION_CODE_TTL  seconds (default 60)
//   HS_API_SECRET        shared secret of the HS256 resource server (>= 32 bytes)
//   WEB_REDIRECT_URIS    extra exact redirect URIs for the confidential `web` client (comma separated)
//   SPLIT_METADATA=1     serve RFC 8414 metadata at /.well-known/oauth-authorization-server and
//                        leave introspection_endpoint and revocation_endpoint out of the
//                        OpenID configuration (as django-oauth-toolkit does)
//   REQUIRE_PAR=1        require pushed authorization requests (RFC 9126 §5)
//   DPOP_NONCE=1         require a server-provided nonce in every DPoP proof (RFC 9449 §8, §9)
//   DEBUG_PROVIDER=1     log provider errors on stderr
//
// Prints `READY http://127.0.0.1:PORT` on stdout once listening; exits 0 on SIGTERM / SIGINT.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';

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

function generateKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const kid = (prefix) => `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
  return {
    keys: [
      { ...rsa, kid: kid('rs256'), alg: 'RS256', use: 'sig' },
      { ...ec, kid: kid('es256'), alg: 'ES256', use: 'sig' },
    ],
  };
}

function loadOrCreateKeys() {
  const file = process.env.KEYS_FILE;
  if (!file) return generateKeys();
  if (fs.existsSync(file)) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const jwks = generateKeys();
  fs.writeFileSync(file, JSON.stringify(jwks, null, 2), { mode: 0o600 });
  return jwks;
}

const ttl = {
  access: envSeconds('ACCESS_TOKEN_TTL', 3600),
  clientCredentials: envSeconds('CLIENT_CREDENTIALS_TTL', envSeconds('ACCESS_TOKEN_TTL', 600)),
  idToken: envSeconds('ID_TOKEN_TTL', 3600),
  refresh: envSeconds('REFRESH_TOKEN_TTL', 14 * 24 * 3600),
  deviceCode: envSeconds('DEVICE_CODE_TTL', 600),
  authorizationCode: envSeconds('AUTHORIZATION_CODE_TTL', 60),
};

const HS_API_SECRET = process.env.HS_API_SECRET || 'grantscope-hs256-resource-secret-0123456789';
if (Buffer.byteLength(HS_API_SECRET) < 32) {
  console.error('HS_API_SECRET must be at least 32 bytes');
  process.exit(2);
}

// Resource servers (RFC 8707 resource indicators) whose access tokens are JWTs (RFC 9068).
const RESOURCE_SERVERS = {
  'urn:grantscope:api': {
    scope: 'api:read api:write',
    audience: 'urn:grantscope:api',
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  },
  'urn:grantscope:api-es256': {
    scope: 'api:read api:write',
    audience: 'urn:grantscope:api-es256',
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'ES256' } },
  },
  'urn:grantscope:hs-api': {
    scope: 'api:read api:write',
    audience: 'urn:grantscope:hs-api',
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'HS256', key: crypto.createSecretKey(Buffer.from(HS_API_SECRET)) } },
  },
};

const extraWebRedirects = (process.env.WEB_REDIRECT_URIS || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const clients = [
  {
    client_id: 'machine-basic',
    client_secret: 'machine-basic-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    client_id: 'machine-post',
    client_secret: 'machine-post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64 in the Basic header.
    client_id: 'weird:client',
    client_secret: 'p@ss:w/rd+%&=',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    // Public native client: PKCE, loopback redirect on any port (RFC 8252 §7.3; oidc-provider
    // ignores the port of http loopback redirect URIs for application_type native).
    client_id: 'native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'],
  },
  {
    // Confidential web client: exact redirect URI match (plus WEB_REDIRECT_URIS).
    client_id: 'web',
    client_secret: 'web-secret',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback', ...extraWebRedirects],
  },
  {
    // ID tokens signed with HS256 using the client secret as the key.
    client_id: 'hs-client',
    client_secret: 'hs-client-secret-0123456789abcdef-0123456789',
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'HS256',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
  },
];

const ACCOUNT_CLAIMS = (sub) => ({
  sub,
  name: `Test User ${sub}`,
  preferred_username: sub,
  email: `${sub}@example.test`,
  email_verified: true,
});

const configuration = {
  clients,
  jwks: loadOrCreateKeys(),
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // Any login/password is accepted by the development interactions; the login becomes `sub`.
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return ACCOUNT_CLAIMS(sub);
      },
    };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
  features: {
    // DPoP (RFC 9449) is on by default; DPOP_NONCE=1 makes the server require its nonces.
    dPoP: process.env.DPOP_NONCE
      ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
      : { enabled: true },
    // PAR (RFC 9126) is on by default; REQUIRE_PAR=1 makes the server require it.
    pushedAuthorizationRequests: {
      enabled: true,
      requirePushedAuthorizationRequests: Boolean(process.env.REQUIRE_PAR),
    },
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        const info = RESOURCE_SERVERS[resourceIndicator];
        if (!info) throw new Provider.errors.InvalidTarget();
        return { ...info, accessTokenTTL: ttl.access };
      },
    },
  },
  // oidc-provider keeps `offline_access` only when the authorization request says
  // `prompt=consent`, and by default issues refresh tokens only for it. To keep the tests
  // independent of that, every client allowed the refresh_token grant gets a refresh token from
  // the authorization code and device code grants. Refresh tokens rotate on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256', 'HS256'],
  },
  ttl: {
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL || ttl.access,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL || ttl.clientCredentials,
    AuthorizationCode: ttl.authorizationCode,
    DeviceCode: ttl.deviceCode,
    IdToken: ttl.idToken,
    RefreshToken: ttl.refresh,
    Interaction: 3600,
    Session: 3600,
    Grant: ttl.refresh,
  },
};

const server = http.createServer();

server.on('error', (err) => {
  console.error(`provider failed to listen: ${err.message}`);
  process.exit(1);
});

server.listen(Number(process.env.PORT || 0), HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST}:${port}`;
  let provider;
  try {
    provider = new Provider(issuer, configuration);
  } catch (err) {
    console.error(`provider configuration rejected: ${err.stack || err}`);
    process.exit(1);
  }
  if (process.env.DEBUG_PROVIDER) {
    provider.on('server_error', (_ctx, err) => console.error('server_error', err));
    provider.on('grant.error', (_ctx, err) => console.error('grant.error', err));
    provider.on('authorization.error', (_ctx, err) => console.error('authorization.error', err));
  }
  if (process.env.SPLIT_METADATA) {
    const OPENID = '/.well-known/openid-configuration';
    const RFC8414 = '/.well-known/oauth-authorization-server';
    provider.use(async (ctx, next) => {
      const asked = ctx.path;
      if (asked === RFC8414) ctx.path = OPENID; // the same metadata, whole
      await next();
      if (asked === OPENID && ctx.body && typeof ctx.body === 'object') {
        delete ctx.body.introspection_endpoint;
        delete ctx.body.revocation_endpoint;
      }
    });
  }
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
