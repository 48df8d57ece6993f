//! X.509 certificates for keys (rcgen on aws-lc-rs): self-signed client certificates for
//! `self_signed_tls_client_auth` and for providers that register a certificate (Entra ID), and
//! a small test CA with the certificates it issues (the sandbox's TLS listener).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use super::KeyError;
use super::pem;
use super::private::PrivateKey;
use super::thumbprint::x5t_s256;

/// A certificate as DER, with its `x5t#S256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl Certificate {
    /// Wraps DER bytes (not parsed: rustls and the server do that).
    pub fn from_der(der: Vec<u8>) -> Certificate {
        Certificate { der }
    }

    /// Every `CERTIFICATE` block in PEM text, in order (leaf first for a chain).
    pub fn all_from_pem(text: &str) -> Result<Vec<Certificate>, KeyError> {
        Ok(pem::parse(text)
            .map_err(KeyError::Invalid)?
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| Certificate { der: b.der })
            .collect())
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text.
    pub fn pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    /// The subject's common name (the last CN in the subject), if the DER has one.
    pub fn subject_common_name(&self) -> Option<String> {
        let subject = tbs_field(&self.der, 5)?;
        common_name(subject)
    }

    /// Whether the certificate's issuer name is its subject name (self-issued).
    pub fn is_self_issued(&self) -> bool {
        matches!((tbs_field(&self.der, 3), tbs_field(&self.der, 5)), (Some(i), Some(s)) if i == s)
    }

    /// `x5t#S256`, the confirmation a certificate-bound token carries (RFC 8705 §3.1).
    pub fn x5t_s256(&self) -> String {
        x5t_s256(&self.der)
    }

    /// Whether a TLS client would accept this certificate for a server named `host` (an IP
    /// address or a DNS name, `[::1]` as in URLs): its subject alternative names hold `host`
    /// (IP addresses as `iPAddress`, names as `dNSName`, without wildcards) and its extended
    /// key usage, when it has one, allows TLS servers. `Err` says what is missing.
    pub fn check_server_name(&self, host: &str) -> Result<(), String> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ext = extensions(&self.der);
        if let Some(eku) = ext.iter().find(|(oid, _)| *oid == OID_EKU).map(|e| e.1) {
            let mut purposes = der_next(eku).map(|(_, v, _)| v).unwrap_or(&[]);
            let mut server = false;
            while let Some((_, oid, rest)) = der_next(purposes) {
                server |= oid == OID_SERVER_AUTH || oid == OID_ANY_EKU;
                purposes = rest;
            }
            if !server {
                return Err(
                    "its extended key usage does not allow TLS servers (serverAuth)".into(),
                );
            }
        }
        let ip: Option<Vec<u8>> = match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(a)) => Some(a.octets().to_vec()),
            Ok(std::net::IpAddr::V6(a)) => Some(a.octets().to_vec()),
            Err(_) => None,
        };
        let Some(san) = ext.iter().find(|(oid, _)| *oid == OID_SAN).map(|e| e.1) else {
            return Err(format!(
                "it has no subject alternative names, so it names no {host}"
            ));
        };
        let mut names = der_next(san).map(|(_, v, _)| v).unwrap_or(&[]);
        while let Some((tag, value, rest)) = der_next(names) {
            let found = match (tag, &ip) {
                (0x87, Some(ip)) => value == ip.as_slice(),
                (0x82, None) => value.eq_ignore_ascii_case(host.as_bytes()),
                _ => false,
            };
            if found {
                return Ok(());
            }
            names = rest;
        }
        Err(format!("its subject alternative names do not name {host}"))
    }
}

/// id-ce-subjectAltName, 2.5.29.17.
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
/// id-ce-extKeyUsage, 2.5.29.37.
const OID_EKU: &[u8] = &[0x55, 0x1d, 0x25];
/// anyExtendedKeyUsage, 2.5.29.37.0.
const OID_ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

/// The certificate's extensions as `(OID, extnValue contents)`; empty without any.
fn extensions(cert: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut found = Vec::new();
    let Some((_, cert_body, _)) = der_next(cert) else {
        return found;
    };
    let Some((_, mut tbs, _)) = der_next(cert_body) else {
        return found;
    };
    // The extensions are the TBSCertificate's `[3]` field, after every other one.
    let mut wrapped = None;
    while let Some((tag, value, rest)) = der_next(tbs) {
        if tag == 0xa3 {
            wrapped = Some(value);
        }
        tbs = rest;
    }
    let Some((_, mut list, _)) = wrapped.and_then(der_next) else {
        return found;
    };
    while let Some((_, ext, rest)) = der_next(list) {
        if let Some((0x06, oid, mut fields)) = der_next(ext) {
            // An optional `critical` BOOLEAN, then the OCTET STRING.
            while let Some((tag, value, more)) = der_next(fields) {
                if tag == 0x04 {
                    found.push((oid, value));
                    break;
                }
                fields = more;
            }
        }
        list = rest;
    }
    found
}

/// One DER TLV: `(tag, value, rest)`.
fn der_next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The `index`-th field of the TBSCertificate, counting the optional `[0]` version as 0
/// (0 version, 1 serial, 2 signature, 3 issuer, 4 validity, 5 subject), as its full TLV value.
fn tbs_field(cert: &[u8], index: usize) -> Option<&[u8]> {
    let (_, cert_body, _) = der_next(cert)?;
    let (_, mut tbs, _) = der_next(cert_body)?;
    let mut i = 0;
    let (tag, _, _) = der_next(tbs)?;
    if tag != 0xa0 {
        i = 1; // v1 certificate: no version field
    }
    loop {
        let (_, value, rest) = der_next(tbs)?;
        if i == index {
            return Some(value);
        }
        tbs = rest;
        i += 1;
    }
}

/// The last `CN` (OID 2.5.4.3) in a Name's RDN sequence.
fn common_name(mut name: &[u8]) -> Option<String> {
    let mut found = None;
    while let Some((_, set, rest)) = der_next(name) {
        let mut atvs = set;
        while let Some((_, atv, more)) = der_next(atvs) {
            if let Some((0x06, oid, value)) = der_next(atv)
                && oid == [0x55, 0x04, 0x03]
                && let Some((_, text, _)) = der_next(value)
            {
                found = Some(String::from_utf8_lossy(text).into_owned());
            }
            atvs = more;
        }
        name = rest;
    }
    found
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertUse {
    /// A TLS client (mutual TLS).
    Client,
    /// A TLS server for these names (IP addresses or DNS names).
    Server,
    /// A CA that signs the others.
    Ca,
}

fn rcgen_key(key: &PrivateKey) -> Result<KeyPair, KeyError> {
    KeyPair::try_from(key.expose_pkcs8_der())
        .map_err(|e| KeyError::Invalid(format!("the key cannot sign a certificate: {e}")))
}

fn params(
    common_name: &str,
    names: &[&str],
    usage: CertUse,
) -> Result<CertificateParams, KeyError> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names)
        .map_err(|e| KeyError::Invalid(format!("certificate names: {e}")))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    // Valid from yesterday (clock skew) for ten years.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let day = 24 * 3600;
    params.not_before = epoch + std::time::Duration::from_secs(now.saturating_sub(day));
    params.not_after = epoch + std::time::Duration::from_secs(now + 10 * 365 * day);
    match usage {
        CertUse::Ca => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        CertUse::Client => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        CertUse::Server => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
    }
    Ok(params)
}

/// A self-signed certificate for `key` with subject `CN=common_name`, usable as a TLS client
/// certificate (10 years).
pub fn self_signed(key: &PrivateKey, common_name: &str) -> Result<Certificate, KeyError> {
    let kp = rcgen_key(key)?;
    let cert = params(common_name, &[], CertUse::Client)?
        .self_signed(&kp)
        .map_err(|e| KeyError::Invalid(format!("certificate signing failed: {e}")))?;
    Ok(Certificate::from_der(cert.der().to_vec()))
}

/// A self-signed certificate for `key` with subject `CN=common_name` that serves TLS for
/// `names` (IP addresses or DNS names, e.g. `127.0.0.1` for a loopback listener) and is usable
/// as a TLS client certificate too (10 years).
pub fn self_signed_server(
    key: &PrivateKey,
    common_name: &str,
    names: &[&str],
) -> Result<Certificate, KeyError> {
    let kp = rcgen_key(key)?;
    let mut params = params(common_name, names, CertUse::Server)?;
    params
        .extended_key_usages
        .push(ExtendedKeyUsagePurpose::ClientAuth);
    let cert = params
        .self_signed(&kp)
        .map_err(|e| KeyError::Invalid(format!("certificate signing failed: {e}")))?;
    Ok(Certificate::from_der(cert.der().to_vec()))
}

/// A certificate authority that issues certificates (for test set-ups: the sandbox, tests).
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert: Certificate,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("x5t#S256", &self.cert.x5t_s256())
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new self-signed CA `CN=common_name` over `key`.
    pub fn new(key: &PrivateKey, common_name: &str) -> Result<TestCa, KeyError> {
        let kp = rcgen_key(key)?;
        let params = params(common_name, &[], CertUse::Ca)?;
        let cert = params
            .self_signed(&kp)
            .map_err(|e| KeyError::Invalid(format!("CA certificate signing failed: {e}")))?;
        Ok(TestCa {
            issuer: Issuer::new(params, kp),
            cert: Certificate::from_der(cert.der().to_vec()),
        })
    }

    /// The CA's own certificate (the trust anchor to give `--ca-cert`).
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Issues a certificate for `key`: `CN=common_name`, the SAN `names` (for a server).
    pub fn issue(
        &self,
        key: &PrivateKey,
        common_name: &str,
        names: &[&str],
        usage: CertUse,
    ) -> Result<Certificate, KeyError> {
        let kp = rcgen_key(key)?;
        let cert = params(common_name, names, usage)?
            .signed_by(&kp, &self.issuer)
            .map_err(|e| KeyError::Invalid(format!("certificate signing failed: {e}")))?;
        Ok(Certificate::from_der(cert.der().to_vec()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::private::GenerateType;

    #[test]
    fn self_signed_certificates_for_every_generated_type() {
        for kind in [
            GenerateType::EcP256,
            GenerateType::Ed25519,
            GenerateType::Rsa2048,
        ] {
            let key = PrivateKey::generate(kind).unwrap();
            let cert = self_signed(&key, "grantscope test client").unwrap();
            let pem = cert.pem();
            let back = Certificate::all_from_pem(&pem).unwrap();
            assert_eq!(back, vec![cert.clone()]);
            assert_eq!(
                cert.subject_common_name().as_deref(),
                Some("grantscope test client")
            );
            assert!(cert.is_self_issued());
            assert_eq!(cert.x5t_s256().len(), 43);
        }
    }

    #[test]
    fn a_server_certificate_names_its_hosts_and_a_client_one_names_none() {
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let server = self_signed_server(&key, "grantscope", &["127.0.0.1", "localhost"]).unwrap();
        assert_eq!(server.check_server_name("127.0.0.1"), Ok(()));
        assert_eq!(server.check_server_name("LOCALHOST"), Ok(()));
        let other = server.check_server_name("127.0.0.2").unwrap_err();
        assert!(other.contains("do not name 127.0.0.2"), "{other}");
        assert!(server.check_server_name("[::1]").is_err());
        assert!(server.is_self_issued());
        let client = self_signed(&key, "grantscope").unwrap();
        let why = client.check_server_name("127.0.0.1").unwrap_err();
        assert!(why.contains("serverAuth"), "{why}");
        let ca_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let ca = TestCa::new(&ca_key, "grantscope test CA").unwrap();
        let issued = ca.issue(&key, "::1", &["::1"], CertUse::Server).unwrap();
        assert_eq!(issued.check_server_name("[::1]"), Ok(()));
        assert!(issued.check_server_name("127.0.0.1").is_err());
    }

    #[test]
    fn a_ca_issues_distinct_certificates() {
        let ca_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let ca = TestCa::new(&ca_key, "grantscope test CA").unwrap();
        let leaf_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let leaf = ca
            .issue(
                &leaf_key,
                "127.0.0.1",
                &["127.0.0.1", "localhost"],
                CertUse::Server,
            )
            .unwrap();
        assert_ne!(leaf.x5t_s256(), ca.certificate().x5t_s256());
        assert_eq!(leaf.subject_common_name().as_deref(), Some("127.0.0.1"));
        assert!(!leaf.is_self_issued());
        assert_eq!(
            ca.certificate().subject_common_name().as_deref(),
            Some("grantscope test CA")
        );
    }
}
