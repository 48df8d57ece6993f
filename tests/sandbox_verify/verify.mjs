#!/usr/bin/env node
// Independent verification of grantscope sandbox tokens with panva's `jose` (not our code):
// fetches the issuer's discovery document and JWKS over HTTP and verifies an access token
// (RFC 9068: typ at+jwt, iss, aud, exp) and, if given, an ID token (iss, aud = client_id, nonce,
// at_hash). Prints a JSON report on stdout; exits 1 with the reason on stderr when anything fails.
//
// Input, either a JSON object on stdin:
//   {"issuer": "...", "access_token": "...", "id_token": "...", "client_id": "...",
//    "audience": "sandbox-api", "nonce": "..."}
// or arguments: verify.mjs ISSUER ACCESS_TOKEN [ID_TOKEN [CLIENT_ID [NONCE]]]
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';

async function readInput() {
  const args = process.argv.slice(2);
  if (args.length >= 2) {
    const [issuer, access_token, id_token, client_id, nonce] = args;
    return { issuer, access_token, id_token, client_id: client_id ?? 'sandbox-native', nonce };
  }
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function halfHash(value) {
  const digest = createHash('sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

async function main() {
  const input = await readInput();
  if (!input.issuer || !input.access_token) {
    throw new Error('need at least an issuer and an access token');
  }
  const issuer = new URL(input.issuer);
  if (issuer.hostname !== '127.0.0.1') {
    throw new Error('refusing to contact anything but 127.0.0.1');
  }
  const discoveryUrl = `${input.issuer}/.well-known/openid-configuration`;
  const discovery = await (await fetch(discoveryUrl)).json();
  if (discovery.issuer !== input.issuer) {
    throw new Error(`discovery issuer ${discovery.issuer} != ${input.issuer}`);
  }
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const algorithms = ['RS256', 'ES256'];
  const report = {};

  const access = await jwtVerify(input.access_token, jwks, {
    issuer: input.issuer,
    audience: input.audience ?? 'sandbox-api',
    typ: 'at+jwt',
    algorithms,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  });
  report.access_token = { protectedHeader: access.protectedHeader, payload: access.payload };

  if (input.id_token) {
    const id = await jwtVerify(input.id_token, jwks, {
      issuer: input.issuer,
      audience: input.client_id,
      algorithms,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    });
    if (input.nonce !== undefined && id.payload.nonce !== input.nonce) {
      throw new Error(`id_token nonce ${id.payload.nonce} != ${input.nonce}`);
    }
    if (id.payload.at_hash !== halfHash(input.access_token)) {
      throw new Error('id_token at_hash does not match the access token');
    }
    if (id.payload.azp !== undefined && id.payload.azp !== input.client_id) {
      throw new Error(`id_token azp ${id.payload.azp} != ${input.client_id}`);
    }
    report.id_token = { protectedHeader: id.protectedHeader, payload: id.payload };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error) => {
  process.stderr.write(`verification failed: ${error.code ?? ''} ${error.message}\n`);
  process.exit(1);
});
