#!/usr/bin/env node
// SD-JWTs for grantscope's interop tests, made and verified by an implementation that is not
// grantscope's: the OpenWallet Foundation's @sd-jwt/core with @sd-jwt/crypto-nodejs (ES256
// keys made here, thrown away after the run). Flat, nested, recursive, array and decoy
// disclosures, sha-256 and sha-512, issued and presented, with and without key binding, and a
// few presentations the library itself refuses. Prints one JSON document:
//   {now, issuer_jwk, cases: [{name, token, nonce, aud, library: {valid, claims, error}}]}
// where `library` is what @sd-jwt/core's own verify() said. Nothing is fetched.
import { SDJwtInstance } from '@sd-jwt/core';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';

const now = Math.floor(Date.now() / 1000);
const issuerKeys = await ES256.generateKeyPair();
const holderKeys = await ES256.generateKeyPair();
const strip = ({ d, ...pub }) => pub;

function instance(hashAlg) {
  return new SDJwtInstance({
    signer: await_(ES256.getSigner(issuerKeys.privateKey)),
    verifier: await_(ES256.getVerifier(issuerKeys.publicKey)),
    signAlg: ES256.alg,
    hasher: digest,
    hashAlg,
    saltGenerator: generateSalt,
    kbSigner: await_(ES256.getSigner(holderKeys.privateKey)),
    kbSignAlg: ES256.alg,
    kbVerifier: await_(ES256.getVerifier(holderKeys.publicKey)),
  });
}

// The signer and verifier factories are async; resolve them once, before use.
const pending = [];
function await_(promise) {
  let fn = null;
  pending.push(promise.then((f) => { fn = f; }));
  return (...args) => fn(...args);
}

const sha256 = instance('sha-256');
const sha512 = instance('sha-512');
await Promise.all(pending);

const base = () => ({
  iss: 'https://issuer.example',
  iat: now - 5,
  exp: now + 3600,
  cnf: { jwk: strip(holderKeys.publicKey) },
});

const person = () => ({
  ...base(),
  sub: 'alice',
  given_name: 'Alice',
  family_name: 'Wonder',
  email: 'alice@example.org',
  address: { street_address: 'Rabbit Hole 1', locality: 'Oxford', country: 'GB' },
  nationalities: ['GB', 'DE', 'FR'],
  data: { list: [{ a: 1 }, { b: 2 }], nested: { deep: 'yes', keep: 'no' } },
});

const frames = {
  flat: { _sd: ['given_name', 'family_name', 'email', 'address'] },
  nested: {
    _sd: ['email'],
    address: { _sd: ['street_address', 'locality'] },
    data: { nested: { _sd: ['deep'] } },
  },
  recursive: {
    _sd: ['address', 'data'],
    address: { _sd: ['street_address', 'country'] },
    data: { _sd: ['nested'], nested: { _sd: ['deep', 'keep'] } },
  },
  arrays: {
    nationalities: { _sd: [0, 1, 2] },
    data: { list: { _sd: [0, 1], 1: { _sd: ['b'] } } },
  },
  decoys: {
    _sd: ['given_name', 'email'],
    _sd_decoy: 4,
    address: { _sd: ['locality'], _sd_decoy: 2 },
    nationalities: { _sd: [1], _sd_decoy: 3 },
  },
};

async function libraryVerdict(sdjwt, token, nonce) {
  try {
    const out = await sdjwt.verify(token, {
      currentDate: now,
      ...(nonce ? { keyBindingNonce: nonce } : {}),
    });
    return { valid: true, claims: out.payload, error: null };
  } catch (e) {
    return { valid: false, claims: null, error: String(e && e.message ? e.message : e) };
  }
}

const cases = [];
async function add(name, sdjwt, token, nonce = null, aud = null) {
  cases.push({ name, token, nonce, aud, library: await libraryVerdict(sdjwt, token, nonce) });
}

for (const [frameName, frame] of Object.entries(frames)) {
  for (const [algName, sdjwt] of [['sha-256', sha256], ['sha-512', sha512]]) {
    const issued = await sdjwt.issue(person(), frame, { header: { typ: 'example+sd-jwt' } });
    const name = `${frameName} ${algName}`;
    await add(`${name}: issued, every Disclosure`, sdjwt, issued);
    // A presentation of some of it, without key binding.
    const chosen = await sdjwt.present(issued, { given_name: true, address: { locality: true }, nationalities: { 1: true }, data: { nested: { deep: true } } });
    await add(`${name}: presented, some Disclosures`, sdjwt, chosen);
    // Bound to a verifier's nonce and audience.
    const nonce = `nonce-${frameName}-${algName}`;
    const aud = 'https://verifier.example';
    const bound = await sdjwt.present(
      issued,
      { email: true, address: { street_address: true, country: true }, data: { list: { 1: { b: true } }, nested: { keep: true } } },
      { kb: { payload: { iat: now, aud, nonce } } },
    );
    await add(`${name}: presented with key binding`, sdjwt, bound, nonce, aud);
    // The library refuses another nonce: so must grantscope.
    await add(`${name}: key binding, another nonce expected`, sdjwt, bound, 'not-the-nonce', aud);
    // A Disclosure dropped after binding: sd_hash no longer matches.
    const parts = bound.split('~');
    if (parts.length > 3) {
      const dropped = [parts[0], ...parts.slice(2)].join('~');
      await add(`${name}: key binding, a Disclosure dropped after`, sdjwt, dropped, nonce, aud);
    }
  }
}

process.stdout.write(JSON.stringify({ now, issuer_jwk: strip(issuerKeys.publicKey), cases }));
