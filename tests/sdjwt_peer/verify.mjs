#!/usr/bin/env node
// Verifies one SD-JWT with the OpenWallet Foundation's @sd-jwt/core, for grantscope's interop
// tests of what grantscope itself issues (the sandbox's SD-JWT VC). Reads
//   {token, issuer_jwk}
// on stdin (issuer_jwk: the issuer's public ES256 JWK) and prints
//   {valid, claims, error}
// where claims is the library's processed payload. Nothing is fetched.
import { SDJwtInstance } from '@sd-jwt/core';
import { ES256, digest } from '@sd-jwt/crypto-nodejs';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { token, issuer_jwk: issuerJwk } = JSON.parse(input);

const sdjwt = new SDJwtInstance({
  verifier: await ES256.getVerifier(issuerJwk),
  signAlg: ES256.alg,
  hasher: digest,
  hashAlg: 'sha-256',
});
try {
  const out = await sdjwt.verify(token, { currentDate: Math.floor(Date.now() / 1000) });
  console.log(JSON.stringify({ valid: true, claims: out.payload, error: null }));
} catch (e) {
  console.log(JSON.stringify({ valid: false, claims: null, error: String(e && e.message ? e.message : e) }));
}
