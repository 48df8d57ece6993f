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
//   EXTRA_CLIENTS        JSON array of more client metadata (e.g. a private_key_jwt client whose
//                        `jwks` holds a key grantscope generated in the test)
//   TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE
//                        serve HTTPS (issuer https://127.0.0.1:PORT) with this certificate and
//                        key, asking every client for a certificate (requestCert) and trusting
//                        TLS_CA_FILE for tls_client_auth; enables mutual TLS (RFC 8705) with
//                        certificate-bound access tokens
//   REQUIRE_PAR=1        require pushed authorization requests (RFC 9126 §5)
//   DPOP_NONCE=1         require a server-provided nonce in every DPoP proof (RFC 9449 §8, §9)
//   FAPI2=1              a FAPI 2.0 Security Profile server (oidc-provider's `fapi` feature, profile
//                        '2.0'): PAR required, PKCE S256, sender-constrained tokens (DPoP), no
//                        refresh rotation, PS256/ES256/EdDSA only; register its clients with
//                        EXTRA_CLIENTS (private_key_jwt, `jwks`, id_token_signed_response_alg ES256)
//   DEBUG_PROVIDER=1     log provider errors on stderr
//
//   CIBA_PING_ENDPOINT   adds the CIBA ping client `ciba-ping` (secret `ciba-ping-secret`) with this
//                        backchannel_client_notification_endpoint (https://127.0.0.1:PORT/…)
//   CIBA_PING_CA_FILE    the PEM certificate the provider trusts, and only it, when it pings
//                        CIBA_PING_ENDPOINT over https (grantscope's stored key's certificate)
//
// CIBA (the `ciba` feature, poll and ping): the client `ciba` (poll). The user's "phone" is a
// test-only API on the same port: `GET /test/ciba/pending` lists the requests waiting (ticket,
// accountId, clientId, binding_message, scope) and `POST /test/ciba/decide` (form: ticket,
// decision=approve|deny) decides one, as the user would on their device.
//
// Prints `STAGE …` progress lines, then `READY http://127.0.0.1:PORT` on stdout once listening; exits 0 on SIGTERM / SIGINT.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';

// Progress lines for the test harness (it reports the last one if READY never comes).
const stage = (what) => process.stdout.write(`STAGE ${what}\n`);
stage('modules loaded');

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

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const FAPI2 = Boolean(process.env.FAPI2);
const FAPI2_ALGS = ['PS256', 'ES256', 'EdDSA'];

const TLS = process.env.TLS_CERT_FILE
  ? {
    cert: fs.readFileSync(process.env.TLS_CERT_FILE),
    key: fs.readFileSync(process.env.TLS_KEY_FILE),
    ca: process.env.TLS_CA_FILE ? fs.readFileSync(process.env.TLS_CA_FILE) : undefined,
  }
  : null;

const extraWebRedirects = (process.env.WEB_REDIRECT_URIS || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const CIBA = 'urn:openid:params:grant-type:ciba';

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
    authorization_details_types: ['payment_initiation'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'],
  },
  {
    // Legacy and hybrid response types (implicit is deprecated; tests show why).
    client_id: 'legacy',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit', 'authorization_code'],
    response_types: ['id_token token', 'code id_token', 'code'],
    redirect_uris: ['http://127.0.0.1/callback'],
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
  {
    // client_secret_jwt (OIDC Core §9): assertions HMAC-signed with the secret.
    client_id: 'jwt-hmac',
    client_secret: 'jwt-hmac-secret-0123456789abcdef-0123456789',
    token_endpoint_auth_method: 'client_secret_jwt',
    grant_types: ['client_credentials', TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    // CIBA in poll mode; the user approves through the test-only phone API.
    client_id: 'ciba',
    client_secret: 'ciba-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [CIBA],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
  },
  ...(process.env.CIBA_PING_ENDPOINT
    ? [{
      // CIBA in ping mode: the provider POSTs to the client's notification endpoint.
      client_id: 'ciba-ping',
      client_secret: 'ciba-ping-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: process.env.CIBA_PING_ENDPOINT,
    }]
    : []),
  ...JSON.parse(process.env.EXTRA_CLIENTS || '[]'),
];

// The CIBA ping to CIBA_PING_ENDPOINT goes over https trusting exactly CIBA_PING_CA_FILE (no
// other roots): node:https with that `ca`, so the certificate's chain, validity, host name and
// purpose are all checked as for any server. The answer keeps only its status, which is all
// oidc-provider reads of a ping's answer.
const pingEndpoint = process.env.CIBA_PING_ENDPOINT ? new URL(process.env.CIBA_PING_ENDPOINT).href : undefined;
const pingCa = process.env.CIBA_PING_CA_FILE ? fs.readFileSync(process.env.CIBA_PING_CA_FILE) : undefined;
function pingWithPinnedCa(url, { method, headers, body, signal }) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method, headers: Object.fromEntries(new Headers(headers)), ca: [pingCa], agent: false, signal,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(new Response(null, { status: res.statusCode })));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// CIBA's pending requests, by the ticket the test-only phone API names them with.
const cibaPending = new Map();

const ACCOUNT_CLAIMS = (sub) => ({
  sub,
  name: `Test User ${sub}`,
  preferred_username: sub,
  email: `${sub}@example.test`,
  email_verified: true,
});

stage('clients built');
const jwks = loadOrCreateKeys();
stage('keys ready');
const configuration = {
  clients,
  responseTypes: ['code', 'id_token', 'id_token token', 'code id_token', 'none'],
  jwks,
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
  clientAuthMethods: [
    'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none',
    ...(TLS ? ['tls_client_auth', 'self_signed_tls_client_auth'] : []),
  ],
  // Outgoing requests (back-channel logout tokens) go to the tests' own listeners on
  // 127.0.0.1, which oidc-provider's SSRF guard (special-use addresses) would refuse: this
  // provider only ever runs on the loopback address, for tests.
  fetch: (url, options) => {
    const { dispatcher: _ssrfGuard, ...rest } = options;
    if (pingCa && pingEndpoint && url === pingEndpoint) return pingWithPinnedCa(url, rest);
    return globalThis.fetch(url, rest);
  },
  features: {
    // DPoP (RFC 9449) is on by default; DPOP_NONCE=1 makes the server require its nonces.
    dPoP: process.env.DPOP_NONCE
      ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
      : { enabled: true },
    // PAR (RFC 9126) is on by default; REQUIRE_PAR=1 makes the server require it.
    pushedAuthorizationRequests: {
      enabled: true,
      requirePushedAuthorizationRequests: Boolean(process.env.REQUIRE_PAR) || FAPI2,
    },
    fapi: { enabled: FAPI2, profile: '2.0' },
    // JAR (RFC 9101): request objects by value and inside PAR.
    requestObjects: { enabled: true, requireSignedRequestObject: false },
    // RAR (RFC 9396) with one detail type; the details granted are those requested.
    richAuthorizationRequests: {
      enabled: true,
      types: {
        payment_initiation: {
          async validate(_ctx, detail) {
            const amount = detail.instructedAmount;
            if (!amount || typeof amount.currency !== 'string' || typeof amount.amount !== 'string') {
              throw new Provider.errors.InvalidAuthorizationDetails(
                'payment_initiation needs instructedAmount { currency, amount }',
              );
            }
          },
        },
      },
      authorizationDetailsForGrantSource: (ctx) =>
        ctx.oidc.grant?.rar || (ctx.oidc.params.authorization_details
          ? JSON.parse(ctx.oidc.params.authorization_details)
          : undefined),
      authorizationDetailsForAccessToken: (ctx, _token, source) =>
        source?.rar || (ctx.oidc.params.authorization_details
          ? JSON.parse(ctx.oidc.params.authorization_details)
          : undefined),
      authorizationDetailsForIntrospection: (_ctx, token) => token.rar,
    },
    // JARM: JWT-secured authorization responses (query.jwt, form_post.jwt, ...).
    jwtResponseModes: { enabled: true },
    devInteractions: { enabled: true },
    // Dynamic client registration (RFC 7591) and its management (RFC 7592), open; the
    // registration access token is rotated on every update.
    registration: { enabled: true },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
    // RP-Initiated Logout (its confirmation form) and Back-Channel Logout to the clients of
    // the ended session that registered a backchannel_logout_uri.
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    // Encrypted responses (ID token, userinfo, JARM, introspection) for clients registered
    // with *_encrypted_response_alg and a `use: enc` key in their jwks; userinfo as a signed
    // JWT (userinfo_signed_response_alg) and RFC 9701 JWT introspection responses
    // (introspection_signed_response_alg, asked for with Accept).
    encryption: { enabled: true },
    jwtUserinfo: { enabled: true },
    jwtIntrospection: { enabled: true },
    deviceFlow: { enabled: true },
    // CIBA: any login hint is an account (as the login form takes any name); the request waits
    // in `cibaPending` for the test-only phone API.
    ciba: {
      enabled: true,
      deliveryModes: ['poll', 'ping'],
      async processLoginHint(_ctx, loginHint) {
        return loginHint;
      },
      async validateRequestContext() {},
      async verifyUserCode() {},
      async triggerAuthenticationDevice(_ctx, request, account, client) {
        cibaPending.set(crypto.randomBytes(8).toString('hex'), {
          request,
          accountId: account.accountId,
          clientId: client.clientId,
          binding_message: request.params.binding_message,
          scope: request.scope || request.params.scope,
        });
      },
    },
    // RFC 8705 over the HTTPS server (TLS_* variables): the socket's peer certificate.
    mTLS: {
      enabled: Boolean(TLS),
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate(ctx) {
        const socket = ctx.req.socket;
        return typeof socket.getPeerX509Certificate === 'function'
          ? socket.getPeerX509Certificate()
          : undefined;
      },
      certificateAuthorized(ctx) {
        return ctx.req.socket.authorized === true;
      },
      certificateSubjectMatches(ctx, property, expected) {
        const cert = ctx.req.socket.getPeerX509Certificate?.();
        if (!cert) return false;
        if (property === 'tls_client_auth_subject_dn') return cert.subject === expected;
        return false;
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        const info = RESOURCE_SERVERS[resourceIndicator];
        if (!info) throw new errors.InvalidTarget();
        return { ...info, accessTokenTTL: ttl.access };
      },
    },
  },
  // oidc-provider keeps `offline_access` only when the authorization request says
  // `prompt=consent`, and by default issues refresh tokens only for it. To keep the tests
  // independent of that, every client allowed the refresh_token grant gets a refresh token from
  // the authorization code and device code grants. Refresh tokens rotate on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // FAPI 2.0 §5.3.2.1: refresh tokens are not rotated.
  rotateRefreshToken: () => !FAPI2,
  enabledJWA: FAPI2
    ? {
      idTokenSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: FAPI2_ALGS,
      requestObjectSigningAlgValues: FAPI2_ALGS,
      authorizationSigningAlgValues: ['ES256'],
      dPoPSigningAlgValues: FAPI2_ALGS,
    }
    : {
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

// RFC 7523 §2.1 and RFC 8693 as custom grants (oidc-provider has neither built in).
const seenAssertions = new Set();

async function jwtBearerGrant(provider, issuer, ctx) {
  const { client, params } = ctx.oidc;
  const { InvalidGrant } = errors;
  let payload;
  try {
    const keys = jose.createLocalJWKSet({ keys: client.jwks?.keys || [] });
    ({ payload } = await jose.jwtVerify(params.assertion, keys, {
      issuer: client.clientId,
      audience: [issuer, `${issuer}/token`],
      requiredClaims: ['sub', 'exp', 'jti'],
    }));
  } catch (err) {
    throw new InvalidGrant(`assertion rejected: ${err.code || err.message}`);
  }
  const seen = `${payload.iss} ${payload.jti}`;
  if (seenAssertions.has(seen)) throw new InvalidGrant('assertion replayed (jti already used)');
  seenAssertions.add(seen);
  const scope = params.scope || 'openid';
  const grant = new provider.Grant({ accountId: payload.sub, clientId: client.clientId });
  grant.addOIDCScope(scope.split(' ').filter((s) => ['openid', 'profile', 'email'].includes(s)).join(' ') || 'openid');
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: payload.sub, client, grantId, gty: 'jwt_bearer', scope: 'openid',
  });
  ctx.body = {
    access_token: await token.save(), token_type: 'Bearer', expires_in: token.expiration, scope: 'openid',
  };
}

async function tokenExchangeGrant(provider, ctx) {
  const { client, params } = ctx.oidc;
  const { InvalidGrant, InvalidRequest } = errors;
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
    throw new InvalidRequest('only access tokens are exchanged here');
  }
  const subject = (await provider.AccessToken.find(params.subject_token))
    || (await provider.ClientCredentials.find(params.subject_token));
  if (!subject || subject.isExpired) throw new InvalidGrant('subject_token is not an active token');
  if (params.actor_token && !params.actor_token_type) {
    throw new InvalidRequest('actor_token_type is required with actor_token');
  }
  const token = new provider.ClientCredentials({ client, scope: subject.scope });
  ctx.body = {
    access_token: await token.save(),
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
  };
}

// The test-only phone: list the CIBA requests waiting, approve or deny one.
function cibaPhone(provider, req, res) {
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/test/ciba/pending') {
    const pending = [...cibaPending.entries()].map(([ticket, p]) => ({
      ticket, accountId: p.accountId, clientId: p.clientId,
      binding_message: p.binding_message, scope: p.scope,
    }));
    answer(200, { pending });
    return;
  }
  if (req.method !== 'POST' || req.url !== '/test/ciba/decide') {
    answer(404, { error: 'not_found' });
    return;
  }
  let body = '';
  req.on('data', (chunk) => { body += chunk; if (body.length > 4096) req.destroy(); });
  req.on('end', async () => {
    const form = new URLSearchParams(body);
    const p = cibaPending.get(form.get('ticket') || '');
    if (!p) {
      answer(400, { error: 'unknown ticket' });
      return;
    }
    cibaPending.delete(form.get('ticket'));
    try {
      if (form.get('decision') === 'approve') {
        const grant = new provider.Grant({ accountId: p.accountId, clientId: p.clientId });
        grant.addOIDCScope(p.scope || 'openid');
        await grant.save();
        await provider.backchannelResult(p.request, grant, { authTime: Math.floor(Date.now() / 1000) });
      } else {
        await provider.backchannelResult(p.request, new errors.AccessDenied('the user denied the request'));
      }
      answer(200, { ok: true });
    } catch (err) {
      answer(500, { error: String(err.message || err) });
    }
  });
}

stage('configuration built');
const server = TLS
  ? https.createServer({ ...TLS, requestCert: true, rejectUnauthorized: false })
  : http.createServer();

server.on('error', (err) => {
  console.error(`provider failed to listen: ${err.message}`);
  process.exit(1);
});

server.listen(Number(process.env.PORT || 0), HOST, () => {
  stage('listening');
  const { port } = server.address();
  const issuer = `${TLS ? 'https' : 'http'}://${HOST}:${port}`;
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
    provider.on('backchannel.error', (_ctx, err) => console.error('backchannel.error', err));
    provider.on('end_session.error', (_ctx, err) => console.error('end_session.error', err));
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
  provider.registerGrantType(JWT_BEARER, (ctx, next) => jwtBearerGrant(provider, issuer, ctx).then(next), ['assertion', 'scope']);
  provider.registerGrantType(TOKEN_EXCHANGE, (ctx, next) => tokenExchangeGrant(provider, ctx).then(next), [
    'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
    'requested_token_type', 'audience', 'resource', 'scope',
  ]);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/test/ciba/')) {
      cibaPhone(provider, req, res);
    } else {
      callback(req, res);
    }
  });
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
