#!/usr/bin/env node
// Encrypted tokens (JWE) for grantscope's decryption tests, made by implementations that are
// not grantscope's: panva's `jose` (installed for tests/sandbox_verify) for every alg/enc pair
// it offers, and Node's own crypto for RSA1_5 (which jose no longer makes). Reads the claims
// as JSON on stdin; prints {cases: [{alg, enc, crv, zip, token, jwk}], nested: {token, jwk,
// jwks}}: `jwk` is the recipient's private key (an `oct` JWK for the symmetric algorithms and
// the PBES2 password), `jwks` the public key set of the signer of the nested token. Generated
// at test time, never committed; nothing is fetched.
import { createCipheriv, createHmac, generateKeyPairSync, publicEncrypt, randomBytes, constants } from 'node:crypto';
import {
  CompactEncrypt, SignJWT, EncryptJWT, exportJWK, generateKeyPair, generateSecret, importJWK,
} from '../sandbox_verify/node_modules/jose/dist/webapi/index.js';

async function readClaims() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const ENCS = ['A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512', 'A128GCM', 'A192GCM', 'A256GCM'];
const CEK_BITS = { 'A128CBC-HS256': 256, 'A192CBC-HS384': 384, 'A256CBC-HS512': 512, A128GCM: 128, A192GCM: 192, A256GCM: 256 };

// RSA1_5 by hand with Node's crypto: PKCS#1 v1.5 key transport, then the content.
function rsa15(plaintext, enc, publicKey) {
  const cek = randomBytes(CEK_BITS[enc] / 8);
  const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
  const header = b64(JSON.stringify({ alg: 'RSA1_5', enc }));
  const aad = Buffer.from(header);
  let iv; let ciphertext; let tag;
  if (enc.includes('CBC')) {
    const half = cek.length / 2;
    iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${half * 8}-cbc`, cek.subarray(half), iv);
    ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const al = Buffer.alloc(8);
    al.writeBigUInt64BE(BigInt(aad.length * 8));
    const mac = createHmac(`sha${half * 16}`, cek.subarray(0, half)).update(Buffer.concat([aad, iv, ciphertext, al])).digest();
    tag = mac.subarray(0, half);
  } else {
    iv = randomBytes(12);
    const cipher = createCipheriv(`aes-${cek.length * 8}-gcm`, cek, iv);
    cipher.setAAD(aad);
    ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    tag = cipher.getAuthTag();
  }
  return [header, b64(encryptedKey), b64(iv), b64(ciphertext), b64(tag)].join('.');
}

async function main() {
  const claims = await readClaims();
  const plaintext = new TextEncoder().encode(JSON.stringify(claims));
  const cases = [];
  const encrypt = async (alg, enc, key, extra = {}, parameters = undefined) => {
    const jwe = new CompactEncrypt(plaintext).setProtectedHeader({ alg, enc, ...extra });
    if (parameters) jwe.setKeyManagementParameters(parameters);
    return jwe.encrypt(key);
  };

  const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true, modulusLength: 2048 });
  const rsaJwk = await exportJWK(rsa.privateKey);
  const rsaPublic = await exportJWK(rsa.publicKey);
  // A WebCrypto RSA key is bound to its hash: one import per algorithm.
  const rsaFor = { 'RSA-OAEP': await importJWK(rsaPublic, 'RSA-OAEP'), 'RSA-OAEP-256': rsa.publicKey };
  const rsaNode = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaNodeJwk = rsaNode.privateKey.export({ format: 'jwk' });
  const curves = {};
  for (const crv of ['P-256', 'P-384', 'P-521', 'X25519']) {
    const pair = await generateKeyPair('ECDH-ES', { crv, extractable: true });
    curves[crv] = { pair, jwk: await exportJWK(pair.privateKey) };
  }
  const password = new TextEncoder().encode('correct horse battery staple');

  for (const enc of ENCS) {
    for (const alg of ['RSA-OAEP', 'RSA-OAEP-256']) {
      cases.push({ alg, enc, token: await encrypt(alg, enc, rsaFor[alg]), jwk: rsaJwk });
    }
    cases.push({ alg: 'RSA1_5', enc, token: rsa15(plaintext, enc, rsaNode.publicKey), jwk: rsaNodeJwk });
    for (const alg of ['A128KW', 'A192KW', 'A256KW', 'A128GCMKW', 'A192GCMKW', 'A256GCMKW']) {
      const secret = await generateSecret(alg, { extractable: true });
      cases.push({ alg, enc, token: await encrypt(alg, enc, secret), jwk: await exportJWK(secret) });
    }
    const cek = await generateSecret(enc, { extractable: true });
    cases.push({ alg: 'dir', enc, token: await encrypt('dir', enc, cek), jwk: await exportJWK(cek) });
    for (const alg of ['PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW']) {
      cases.push({ alg, enc, token: await encrypt(alg, enc, password), jwk: { kty: 'oct', k: b64(password) } });
    }
    for (const alg of ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW']) {
      for (const [crv, { pair, jwk }] of Object.entries(curves)) {
        cases.push({ alg, enc, crv, token: await encrypt(alg, enc, pair.publicKey, {}, { apu: new TextEncoder().encode('Alice'), apv: new TextEncoder().encode('Bob') }), jwk });
      }
    }
  }
  // zip DEF, with and without a key identifier.
  const kw = await generateSecret('A256KW', { extractable: true });
  cases.push({ alg: 'A256KW', enc: 'A256GCM', zip: 'DEF', token: await encrypt('A256KW', 'A256GCM', kw, { zip: 'DEF', kid: 'kw1' }), jwk: { ...(await exportJWK(kw)), kid: 'kw1' } });

  // A signed ID token inside an encrypted one (cty JWT), as providers send them.
  const signer = await generateKeyPair('ES256', { extractable: true });
  const jws = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'sig1', typ: 'JWT' }).sign(signer.privateKey);
  const nestedToken = await new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc1' })
    .encrypt(rsa.publicKey);
  const nested = {
    token: nestedToken,
    jwk: { ...rsaJwk, kid: 'enc1', use: 'enc' },
    jwks: { keys: [{ ...(await exportJWK(signer.publicKey)), kid: 'sig1', use: 'sig', alg: 'ES256' }] },
  };
  // An encrypted JWT whose claims are the payload itself (no signature inside).
  const unsigned = await new EncryptJWT(claims).setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM' })
    .encrypt(curves['P-256'].pair.publicKey);
  process.stdout.write(`${JSON.stringify({ cases, nested, unsigned: { token: unsigned, jwk: curves['P-256'].jwk } })}\n`);
}

main().catch((error) => {
  process.stderr.write(`jose_jwe failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
