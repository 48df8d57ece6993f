#!/usr/bin/env node
// Tokens for grantscope's inspector tests, made by implementations that are not grantscope's:
// panva's `jose` (installed for tests/sandbox_verify) and Node's own crypto. Reads the claims
// as JSON on stdin; prints one JSON object mapping a case name to {token, jwks}, where jwks is
// the public key set that goes with the token. Nothing is fetched; no network.
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from '../sandbox_verify/node_modules/jose/dist/webapi/index.js';

async function readClaims() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');

// A compact JWS signed with Node's crypto directly (for algorithms jose does not offer).
function nodeJws(header, claims, keyObject, algorithm, options) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = nodeSign(algorithm, Buffer.from(input), { key: keyObject, ...options });
  return `${input}.${b64(signature)}`;
}

function publicJwk(keyObject, kid) {
  return { ...keyObject.export({ format: 'jwk' }), kid };
}

async function main() {
  const claims = await readClaims();
  const out = {};

  // ES512 (P-521) with jose.
  const p521 = await generateKeyPair('ES512', { extractable: true });
  out.es512 = {
    token: await new SignJWT(claims).setProtectedHeader({ alg: 'ES512', kid: 'p521' }).sign(p521.privateKey),
    jwks: { keys: [{ ...(await exportJWK(p521.publicKey)), kid: 'p521', use: 'sig', alg: 'ES512' }] },
  };
  // The same token signed in DER (what a hand-rolled signer gets wrong): Node's default
  // ECDSA encoding.
  const p521node = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  out.es512_der = {
    token: nodeJws({ alg: 'ES512', kid: 'p521' }, claims, p521node.privateKey, 'sha512', { dsaEncoding: 'der' }),
    jwks: { keys: [publicJwk(p521node.publicKey, 'p521')] },
  };
  // ES256 in DER as well.
  const p256node = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  out.es256_der = {
    token: nodeJws({ alg: 'ES256', kid: 'p256' }, claims, p256node.privateKey, 'sha256', { dsaEncoding: 'der' }),
    jwks: { keys: [publicJwk(p256node.publicKey, 'p256')] },
  };

  // RS256 with a 1024-bit RSA key: jose refuses to sign with it (it enforces 2048 bits too),
  // so Node's crypto signs.
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
  out.rs256_1024 = {
    token: nodeJws({ alg: 'RS256' }, claims, rsa1024.privateKey, 'sha256', {}),
    jwks: { keys: [publicJwk(rsa1024.publicKey, undefined)] },
  };
  out.rs256_1024_kid = {
    token: nodeJws({ alg: 'RS256', kid: 'small' }, claims, rsa1024.privateKey, 'sha256', {}),
    jwks: { keys: [publicJwk(rsa1024.publicKey, 'small')] },
  };

  // ES256K (secp256k1) and Ed448: real signatures that grantscope must call not supported.
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  out.es256k = {
    token: nodeJws({ alg: 'ES256K', kid: 'k1' }, claims, k1.privateKey, 'sha256', { dsaEncoding: 'ieee-p1363' }),
    jwks: { keys: [publicJwk(k1.publicKey, 'k1')] },
  };
  const ed448 = generateKeyPairSync('ed448');
  out.ed448 = {
    token: nodeJws({ alg: 'EdDSA', kid: 'ed448' }, claims, ed448.privateKey, null, {}),
    jwks: { keys: [publicJwk(ed448.publicKey, 'ed448')] },
  };

  // HS256 with jose, the secret published as an oct JWK.
  const secret = Buffer.from('a shared secret that anyone can fetch, 40 bytes');
  out.hs256_oct = {
    token: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'oct1' }).sign(new Uint8Array(secret)),
    jwks: { keys: [{ kty: 'oct', kid: 'oct1', k: b64(secret) }] },
  };

  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  process.stderr.write(`jose_corpus failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
