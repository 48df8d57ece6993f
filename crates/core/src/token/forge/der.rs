//! The few DER (X.690) shapes a public key is written in: `SubjectPublicKeyInfo` (RFC 5280
//! §4.1) for RSA, EC and Ed25519, and the PKCS#1 `RSAPublicKey` (RFC 8017 §A.1.1). Only
//! writing: the issuer's key arrives as a JWK and must be spelt as a verifier may hold it.

/// rsaEncryption, 1.2.840.113549.1.1.1.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1.
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// id-Ed25519, 1.3.101.112.
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// prime256v1, 1.2.840.10045.3.1.7.
pub(super) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1, 1.3.132.0.34.
pub(super) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// secp521r1, 1.3.132.0.35.
pub(super) const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive INTEGER from big-endian magnitude bytes (minimal, with a 0x00 where the top bit
/// is set).
fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let start = magnitude
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(magnitude.len());
    let mut content = Vec::with_capacity(magnitude.len() + 1);
    match magnitude.get(start) {
        None => content.push(0),
        Some(first) => {
            if first & 0x80 != 0 {
                content.push(0);
            }
            content.extend_from_slice(&magnitude[start..]);
        }
    }
    tlv(0x02, &content)
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0u8];
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

fn oid(body: &[u8]) -> Vec<u8> {
    tlv(0x06, body)
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
pub(super) fn rsa_pkcs1(n: &[u8], e: &[u8]) -> Vec<u8> {
    sequence(&[&unsigned_integer(n), &unsigned_integer(e)])
}

/// SPKI for RSA: algorithm rsaEncryption with NULL parameters.
pub(super) fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let algorithm = sequence(&[&oid(OID_RSA), &[0x05, 0x00]]);
    sequence(&[&algorithm, &bit_string(&rsa_pkcs1(n, e))])
}

/// SPKI for an EC key: id-ecPublicKey with the named curve, the uncompressed point.
pub(super) fn ec_spki(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    let algorithm = sequence(&[&oid(OID_EC), &oid(curve_oid)]);
    sequence(&[&algorithm, &bit_string(point)])
}

/// SPKI for Ed25519 (RFC 8410 §4): no parameters, the 32 key bytes.
pub(super) fn ed25519_spki(x: &[u8]) -> Vec<u8> {
    let algorithm = sequence(&[&oid(OID_ED25519)]);
    sequence(&[&algorithm, &bit_string(x)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers_are_minimal() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(unsigned_integer(&[0, 0, 1]), vec![0x02, 1, 1]);
        assert_eq!(unsigned_integer(&[0x80]), vec![0x02, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[]), vec![0x02, 1, 0]);
        assert_eq!(
            ed25519_spki(&[7; 32])[..12],
            [
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
            ]
        );
    }
}
