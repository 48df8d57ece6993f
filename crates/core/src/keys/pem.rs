//! PEM (RFC 7468) blocks: the labelled base64 text that keys and certificates travel in.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One `-----BEGIN LABEL-----` … `-----END LABEL-----` block, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label, e.g. `PRIVATE KEY` or `CERTIFICATE`.
    pub label: String,
    /// The DER bytes.
    pub der: Vec<u8>,
}

impl std::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes may be a private key: never shown.
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("der", &format_args!("<{} bytes>", self.der.len()))
            .finish()
    }
}

/// Every PEM block in `text` (text outside blocks, such as OpenSSL's "Bag Attributes", is
/// ignored). A block whose base64 does not decode, or that never ends, is an error naming it.
pub fn parse(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut ended = false;
        for line in lines.by_ref() {
            if line == end {
                ended = true;
                break;
            }
            // RFC 7468 §5.2 headers ("Proc-Type: …") mark an encrypted legacy key.
            if line.contains(':') {
                return Err(format!(
                    "the {label} block is encrypted (it has PEM headers); decrypt it first \
                     (openssl pkcs8 -topk8 -nocrypt)"
                ));
            }
            body.push_str(line);
        }
        if !ended {
            return Err(format!("the {label} block has no END line"));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("the {label} block is not valid base64: {e}"))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    Ok(blocks)
}

/// Encodes DER as a PEM block with 64-character lines.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_noise() {
        let der: Vec<u8> = (0..=200).collect();
        let text = format!(
            "Bag Attributes\n{}junk\n{}",
            encode("CERTIFICATE", &der),
            encode("PRIVATE KEY", &[1, 2, 3])
        );
        let blocks = parse(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der, der);
        assert_eq!(blocks[1].der, vec![1, 2, 3]);
        assert!(!format!("{:?}", blocks[1]).contains("[1, 2, 3]"));
    }

    #[test]
    fn broken_blocks_are_named() {
        let err = parse("-----BEGIN PRIVATE KEY-----\nAAAA\n").unwrap_err();
        assert!(err.contains("no END"), "{err}");
        let err = parse("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END RSA PRIVATE KEY-----\n").unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
    }
}
