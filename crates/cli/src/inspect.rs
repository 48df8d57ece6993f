//! `grantscope inspect [TOKEN|-]`: decode a token, decrypt it when it is a JWE
//! (`--decryption-key`, repeatable), verify its signature (issuer discovery, a JWKS URL or
//! file, or a shared secret) and print the validation checklist, as a table for people or as
//! one JSON inspection (`--json`). A JWE is shown as layers: the envelope (its protected
//! header, which key opened it, warnings), then the token inside as any other. An SD-JWT
//! (told by its `~`) is shown as the issuer-signed payload, the Disclosures (name or array
//! element, value, digest, where each goes), the processed claims with the disclosed ones
//! marked, and the key-binding JWT checked against `--kb-nonce` / `--kb-audience`.
//!
//! Exit status: 0 the token is valid, 1 it is not, 2 usage or configuration error (no token,
//! unreadable JWKS, discovery or JWKS fetch failed).
//!
//! Everything printed that came from the token or a server passes through
//! [`grantscope_core::text::inert`] (the human report) or [`grantscope_core::text::to_json_pretty`] (`--json`), so
//! no control character, escape sequence or bidi override reaches the terminal raw. The human
//! report's first line is the verdict, and the last line repeats it (an opaque token's neutral
//! verdict is said once).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use url::Url;

use grantscope_core::http::{Exchange, HttpClient};
use grantscope_core::keys::KeyStore;
use grantscope_core::oauth::Session;
use grantscope_core::oauth::discovery::discover;
use grantscope_core::text::inert;
use grantscope_core::timefmt::now_unix;
use grantscope_core::token::claims::{numeric_date, time_note};
use grantscope_core::token::jwe::{DecryptionKey, load_decryption_keys};
use grantscope_core::token::sdjwt::is_sd_jwt;
use grantscope_core::token::{
    CheckStatus, InspectOptions, Inspection, KeySource, SdJwtOptions, SharedSecret,
    SignatureStatus, TokenFormat, TokenKind, Verdict, inspect_decrypting, inspect_sd_jwt,
};

/// Arguments of `grantscope inspect`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "Decode a token, verify its signature and check its claims",
    after_help = "Keys: --issuer alone discovers the issuer's jwks_uri; with --jwks-uri or --secret it only sets the expected iss.\n\
                  Exit status: 0 valid, 1 not valid, 2 usage or configuration error."
)]
pub struct InspectArgs {
    /// The token; `-` or nothing reads it from stdin. A leading `Bearer ` is ignored.
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: Option<String>,

    /// Expected issuer (`iss`); without --jwks-uri/--secret its discovery document gives the keys.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// JWKS to verify with: an http(s) URL or a file (a JWKS or a single JWK).
    #[arg(long, value_name = "URL_OR_FILE", conflicts_with_all = ["secret", "secret_file"])]
    pub jwks_uri: Option<String>,

    /// Shared secret for HS256/384/512 tokens (prefer GRANTSCOPE_SECRET or --secret-file: a
    /// command line is visible to other users).
    #[arg(
        long,
        value_name = "S",
        env = "GRANTSCOPE_SECRET",
        hide_env_values = true,
        conflicts_with = "secret_file"
    )]
    pub secret: Option<String>,

    /// Read the shared secret from a file (trailing newline removed).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,

    /// The secret is base64 (or base64url) encoded; decode it before use.
    #[arg(long)]
    pub secret_base64: bool,

    /// Expected audience (for ID tokens: the client id, also checked against azp).
    #[arg(long, value_name = "A")]
    pub audience: Option<String>,

    /// Expected ID token nonce.
    #[arg(long, value_name = "N")]
    pub nonce: Option<String>,

    /// The access token issued with this ID token, to check at_hash.
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,

    /// The authorization code issued with this ID token, to check c_hash.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,

    /// The max_age sent in the authorization request (seconds): auth_time must be recent.
    #[arg(long, value_name = "SECS")]
    pub max_age: Option<u64>,

    /// What the token is: access (RFC 9068 typ at+jwt required), id (ID token rules) or unknown.
    #[arg(long, value_enum, default_value_t = KindArg::Unknown)]
    pub kind: KindArg,

    /// Clock skew tolerated on exp, nbf, iat and auth_time (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub leeway: u64,

    /// Warn when the token lives longer than this (seconds, exp - iat).
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    pub max_lifetime: u64,

    /// Judge times as of this instant (unix seconds) instead of the system clock.
    #[arg(long, value_name = "UNIX_SECS")]
    pub now: Option<i64>,

    /// Total HTTP timeout for discovery and JWKS fetches (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// A key to decrypt an encrypted token (JWE) with: a stored key's name, or a file (a PEM
    /// private key, a private JWK, or a JWKS; an `oct` JWK for dir, A*KW, A*GCMKW and PBES2).
    /// Repeatable: keys whose kid matches are tried first.
    #[arg(long = "decryption-key", value_name = "NAME_OR_FILE")]
    pub decryption_key: Vec<String>,

    /// SD-JWT: the nonce the verifier sent; the key-binding JWT must carry it (and must be
    /// there).
    #[arg(long, value_name = "N")]
    pub kb_nonce: Option<String>,

    /// SD-JWT: the verifier's identifier; the key-binding JWT's aud must be it (and the
    /// key-binding JWT must be there).
    #[arg(long, value_name = "A")]
    pub kb_audience: Option<String>,

    /// SD-JWT: how old the key-binding JWT's iat may be (seconds, beyond --leeway).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub kb_max_age: u64,

    /// Print one JSON document (the inspection) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// A JWT access token.
    Access,
    /// An OpenID Connect ID token.
    Id,
    /// Generic JWT checks only.
    Unknown,
    /// An OpenID Connect Back-Channel Logout token (events, sid or sub, no nonce, typ
    /// logout+jwt where given, iss, aud, iat, jti).
    Logout,
}

impl From<KindArg> for TokenKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Access => TokenKind::Access,
            KindArg::Id => TokenKind::Id,
            KindArg::Unknown => TokenKind::Unknown,
            KindArg::Logout => TokenKind::Logout,
        }
    }
}

/// Runs `inspect` against the real stdin, stdout and stderr.
pub async fn run(args: InspectArgs) -> ExitCode {
    let stderr = std::io::stderr();
    let code = execute(
        args,
        &mut std::io::stdin().lock(),
        &mut crate::out::Stdout,
        &mut stderr.lock(),
    )
    .await;
    ExitCode::from(code)
}

/// A usage or configuration error: exit 2.
struct ConfigError(String);

/// Runs `inspect` with the given streams; returns the exit status (0, 1 or 2).
pub async fn execute(
    args: InspectArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match execute_inner(args, stdin, out, err).await {
        Ok(code) => code,
        Err(ConfigError(msg)) => {
            let _ = writeln!(err, "error: {msg}");
            2
        }
    }
}

async fn execute_inner(
    args: InspectArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, ConfigError> {
    let token = read_token(args.token.as_deref(), stdin)?;
    let now = args.now.unwrap_or_else(now_unix);
    let secret = read_secret(&args)?;
    let decryption = read_decryption_keys(&args.decryption_key)?;
    let http = super::connection::http_with_timeout(args.timeout).map_err(ConfigError)?;

    let mut options = InspectOptions {
        issuer: args.issuer.clone(),
        audience: args.audience.clone(),
        nonce: args.nonce.clone(),
        access_token: args.access_token.clone(),
        code: args.code.clone(),
        max_age: args.max_age,
        leeway: args.leeway,
        max_lifetime: Some(args.max_lifetime),
        kind: args.kind.into(),
        strict_typ: true,
    };
    let mut exchanges: Vec<Exchange> = Vec::new();
    let source = match (&args.jwks_uri, secret) {
        (Some(uri), _) => KeySource::from_uri_or_path(uri),
        (None, Some(secret)) => KeySource::Secret(secret),
        (None, None) => match &args.issuer {
            Some(issuer) => {
                let (jwks_uri, metadata_issuer, ex) = discover_jwks(&http, issuer).await?;
                exchanges.extend(ex);
                // Compare iss with the issuer exactly as the server publishes it.
                options.issuer = Some(metadata_issuer);
                KeySource::JwksUrl(jwks_uri)
            }
            None => KeySource::None,
        },
    };

    let inspected = if is_sd_jwt(&token) {
        let sd = SdJwtOptions {
            kb_nonce: args.kb_nonce.clone(),
            kb_audience: args.kb_audience.clone(),
            kb_max_age: args.kb_max_age,
        };
        inspect_sd_jwt(&token, &source, &http, &options, &sd, now).await
    } else {
        inspect_decrypting(&token, &source, &decryption, &http, &options, now).await
    };
    exchanges.extend(inspected.exchanges);
    let inspection = inspected.inspection;

    if args.json {
        let doc = grantscope_core::text::to_json_pretty(&inspection)
            .map_err(|e| ConfigError(format!("cannot serialise the inspection: {e}")))?;
        let _ = writeln!(out, "{doc}");
    } else {
        for ex in &exchanges {
            let _ = writeln!(
                err,
                "{}: {} {} → {}",
                ex.step,
                ex.method(),
                inert(&ex.request_view(false).url),
                inert(&ex.summary())
            );
        }
        let _ = write!(out, "{}", render_human(&inspection, now));
    }
    if let Some(key_error) = inspected.key_error {
        return Err(ConfigError(format!(
            "{}; the signature could not be checked",
            inert(&key_error.to_string())
        )));
    }
    Ok(if inspection.valid { 0 } else { 1 })
}

fn read_token(arg: Option<&str>, stdin: &mut dyn Read) -> Result<String, ConfigError> {
    let token = match arg {
        Some(t) if t != "-" => t.to_owned(),
        _ => {
            let mut s = String::new();
            stdin
                .read_to_string(&mut s)
                .map_err(|e| ConfigError(format!("cannot read the token from stdin: {e}")))?;
            s
        }
    };
    if token.trim().is_empty() {
        return Err(ConfigError(
            "no token: pass it as an argument, or pipe it in with `-`".into(),
        ));
    }
    Ok(token)
}

/// Every `--decryption-key`: a stored key by name, else a key file. A key that cannot be read
/// is a configuration error (exit 2), named.
fn read_decryption_keys(names: &[String]) -> Result<Vec<DecryptionKey>, ConfigError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // Without a config directory, key files still work.
    let store = KeyStore::open_default().ok();
    let mut keys = Vec::new();
    for name in names {
        let loaded = load_decryption_keys(store.as_ref(), name)
            .map_err(|e| ConfigError(format!("--decryption-key {}: {e}", inert(name))))?;
        keys.extend(loaded);
    }
    Ok(keys)
}

fn read_secret(args: &InspectArgs) -> Result<Option<SharedSecret>, ConfigError> {
    let raw = match (&args.secret, &args.secret_file) {
        (Some(s), _) => s.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| {
                ConfigError(format!(
                    "cannot read the secret file {}: {e}",
                    path.display()
                ))
            })?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
        (None, None) => {
            if args.secret_base64 {
                return Err(ConfigError(
                    "--secret-base64 needs --secret or --secret-file".into(),
                ));
            }
            return Ok(None);
        }
    };
    if raw.is_empty() {
        return Err(ConfigError("the shared secret is empty".into()));
    }
    if !args.secret_base64 {
        return Ok(Some(SharedSecret::new(raw.into_bytes())));
    }
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let std_engine = GeneralPurpose::new(&base64::alphabet::STANDARD, lenient);
    let url_engine = GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient);
    std_engine
        .decode(raw.trim())
        .or_else(|_| url_engine.decode(raw.trim()))
        .map(|b| Some(SharedSecret::new(b)))
        .map_err(|_| ConfigError("--secret-base64: the secret is not base64 or base64url".into()))
}

/// Discovers `issuer` and returns its `jwks_uri`, the issuer string the metadata publishes,
/// and the exchanges made.
async fn discover_jwks(
    http: &HttpClient,
    issuer: &str,
) -> Result<(Url, String, Vec<Exchange>), ConfigError> {
    let url = Url::parse(issuer)
        .map_err(|e| ConfigError(format!("--issuer is not a URL ({e}): {issuer}")))?;
    let mut session = Session::new(http.clone());
    let found = discover(&mut session, &url).await;
    let exchanges = session.take_exchanges();
    let discovery = found.map_err(|e| ConfigError(inert(&e.to_string()).into_owned()))?;
    let jwks_uri = discovery.endpoints.jwks_uri.clone().ok_or_else(|| {
        ConfigError(format!(
            "the discovery document of {issuer} has no jwks_uri; pass --jwks-uri or --secret"
        ))
    })?;
    let published = discovery
        .metadata
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or(issuer)
        .to_owned();
    Ok((jwks_uri, published, exchanges))
}

const TIME_CLAIMS: [&str; 5] = ["exp", "nbf", "iat", "auth_time", "updated_at"];

fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => inert(s).into_owned(),
        // A nested value's strings are JSON-escaped by serde_json only below U+0020.
        other => inert(&other.to_string()).into_owned(),
    }
}

/// `times`: the claims table (times read as dates, names looked up as claims); else the
/// header's (names looked up as JOSE header parameters). A registered name's meaning and its
/// specification end its line.
fn table(out: &mut String, map: &Map<String, Value>, now: i64, times: bool) {
    table_marked(out, map, now, times, &|_| None);
}

/// [`table`] with a mark before each name (`mark` gives it; none when it gives no mark to
/// any name).
fn table_marked(
    out: &mut String,
    map: &Map<String, Value>,
    now: i64,
    times: bool,
    mark: &dyn Fn(&str) -> Option<char>,
) {
    let marked = map.keys().any(|k| mark(k).is_some());
    let keys: Vec<String> = map.keys().map(|k| inert(k).into_owned()).collect();
    let width = keys
        .iter()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (k, (name, v)) in keys.iter().zip(map) {
        let prefix = match (marked, mark(name)) {
            (false, _) => String::new(),
            (true, Some(m)) => format!("{m} "),
            (true, None) => "  ".to_owned(),
        };
        let mut line = format!("  {prefix}{k:<width$}  {}", show_value(v));
        if times
            && TIME_CLAIMS.contains(&name.as_str())
            && let Some(Ok(t)) = numeric_date(map, name)
        {
            line.push_str(&format!("  ({})", time_note(t, now)));
        }
        let names = if times {
            grantscope_core::token::names::claim(name)
        } else {
            grantscope_core::token::names::header_param(name)
        };
        if let Some(info) = names {
            line.push_str(&format!("  # {}", info.line()));
        }
        out.push_str(&line);
        out.push('\n');
    }
}

/// The verdict line: `VALID: ...` or `NOT VALID: ...` (with the verdict word and the failed
/// checks); for an opaque token, which inspection can neither accept nor refuse, `OPAQUE: ...`.
fn verdict_line(i: &Inspection, now: i64) -> String {
    if i.verdict == Verdict::Opaque {
        return "OPAQUE: only the server that issued it can say whether it is valid; ask it with `grantscope introspect` (verdict: opaque)".to_owned();
    }
    if i.valid {
        // Past exp but inside the clock-skew leeway: valid for a verifier, and said to be
        // expired, as the desktop app's headline says (it read VALID alone).
        if let Some(exp) = i.lifetime().expires_at.filter(|e| *e <= now) {
            return format!(
                "VALID WITHIN LEEWAY, BUT EXPIRED {}: a verifier with that clock-skew leeway still takes it (see exp below; --leeway 0 refuses it, exit 1)",
                grantscope_core::timefmt::relative(exp, now)
            );
        }
        return "VALID: signature verified and no check failed".to_owned();
    }
    let failed: Vec<String> = i.failures().map(|c| inert(&c.id).into_owned()).collect();
    let opened = i
        .envelope
        .as_ref()
        .map(|e| (e.jwe.decrypted, e.nested.is_some()));
    let why = if !failed.is_empty() {
        format!("failed: {}", failed.join(", "))
    } else if opened == Some((false, false)) {
        "the token is encrypted and was not decrypted (give the recipient's key with --decryption-key)".to_owned()
    } else if opened == Some((true, false)) {
        "the decrypted payload is not a signed JWT, so there is nothing to verify".to_owned()
    } else if let Some(kb) = i
        .sd_jwt
        .as_ref()
        .and_then(|sd| sd.key_binding.as_ref())
        .filter(|kb| {
            i.signature.status == SignatureStatus::Verified
                && kb.signature.status != SignatureStatus::Verified
        })
    {
        format!(
            "the key-binding JWT's signature is {}, not verified",
            signature_word(kb.signature.status)
        )
    } else if matches!(i.format, TokenFormat::Jwt | TokenFormat::SdJwt) || opened.is_some() {
        format!(
            "the signature is {}, not verified",
            signature_word(i.signature.status)
        )
    } else {
        "it cannot be validated locally".to_owned()
    };
    format!("NOT VALID: {why} (verdict: {})", i.verdict.as_str())
}

fn signature_word(status: SignatureStatus) -> &'static str {
    match status {
        SignatureStatus::Verified => "verified",
        SignatureStatus::Invalid => "INVALID",
        SignatureStatus::Unverifiable => "unverifiable",
        SignatureStatus::Skipped => "skipped",
    }
}

/// The human report of an inspection: the verdict, header, claims (times shown as dates and
/// "in 4 min"), signature, checklist and the verdict again (an opaque token's neutral verdict
/// once: there is nothing to sum up). Every string from the token is
/// [inert](grantscope_core::text::inert). Pure, so the `token` command and tests can reuse it.
pub fn render_human(i: &Inspection, now: i64) -> String {
    let mut out = String::new();
    let verdict = verdict_line(i, now);
    out.push_str(&verdict);
    out.push('\n');
    let format = match i.format {
        TokenFormat::Jwt => "JWT (signed, JWS)",
        TokenFormat::Jwe => "JWE (encrypted)",
        TokenFormat::SdJwt => "SD-JWT (selective disclosure, RFC 9901)",
        TokenFormat::Opaque => "opaque",
    };
    out.push_str(&format!("format     {format}\n"));
    match &i.envelope {
        Some(envelope) => {
            let jwe = &envelope.jwe;
            if jwe.decrypted {
                out.push_str(&format!("envelope   {}\n", inert(&jwe.detail)));
            } else {
                out.push_str(&format!(
                    "envelope   NOT decrypted: {}\n",
                    inert(&jwe.detail)
                ));
            }
            if let Value::Object(h) = &i.header {
                table(&mut out, h, now, false);
            }
            for c in i.checks.iter().filter(|c| c.id == "jwe.alg") {
                out.push_str(&format!("warning    {}\n", c.shown_message()));
            }
            if let Some(text) = &jwe.plaintext {
                out.push_str(&format!(
                    "plaintext  {}\n",
                    grantscope_core::text::inert_multiline(text)
                ));
            }
            if let Some(nested) = &envelope.nested {
                out.push_str("inner      JWT (signed, JWS)\n");
                if let Value::Object(h) = &nested.header {
                    out.push_str("header\n");
                    table(&mut out, h, now, false);
                }
            }
        }
        None => {
            if let Value::Object(h) = &i.header {
                out.push_str("header\n");
                table(&mut out, h, now, false);
            }
        }
    }
    match &i.sd_jwt {
        Some(sd) => sd_jwt_sections(&mut out, i, sd, now),
        None => {
            if let Value::Object(c) = &i.claims {
                out.push_str("claims\n");
                table(&mut out, c, now, true);
            }
        }
    }
    out.push_str(&format!(
        "signature  {}: {}\n",
        signature_word(i.signature.status),
        i.signature.shown_detail()
    ));
    out.push_str("checks\n");
    let width = i.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in &i.checks {
        let mark = match c.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Warn => "warn",
            CheckStatus::Info => "info",
        };
        out.push_str(&format!(
            "  {mark}  {:<width$}  {}\n",
            inert(&c.id),
            c.shown_message()
        ));
    }
    if i.verdict != Verdict::Opaque {
        out.push_str(&verdict);
        out.push('\n');
    }
    out
}

/// The SD-JWT part of the human report: the issuer-signed payload, the Disclosures, the
/// processed claims (`*` disclosed, `+` holding disclosed parts) and the key-binding JWT.
fn sd_jwt_sections(
    out: &mut String,
    i: &Inspection,
    sd: &grantscope_core::token::SdJwtReport,
    now: i64,
) {
    if let Value::Object(c) = &sd.issuer_claims {
        out.push_str("issuer-signed payload\n");
        table(out, c, now, true);
    }
    out.push_str(&format!(
        "disclosures  {} presented, {} digests undisclosed (decoys or withheld), {}\n",
        sd.disclosures.len(),
        sd.undisclosed,
        inert(&sd.sd_alg)
    ));
    for (n, d) in sd.disclosures.iter().enumerate() {
        let name = match &d.name {
            Some(name) => inert(name).into_owned(),
            None if d.salt.is_some() => "[array element]".to_owned(),
            None => "[unreadable]".to_owned(),
        };
        let digest = d.digest.as_deref().map_or_else(
            || "(no digest) ".to_owned(),
            |d| format!("{}…", d.get(..12).unwrap_or(d)),
        );
        let place = d
            .path
            .as_deref()
            .map_or_else(|| "(not placed)".to_owned(), |p| inert(p).into_owned());
        let mut value = show_value(&d.value);
        if value.chars().count() > 60 {
            let total = value.chars().count();
            value = format!(
                "{}… ({total} characters)",
                value.chars().take(48).collect::<String>()
            );
        }
        out.push_str(&format!(
            "  #{:<3} {name:<20} {digest}  → {place:<24} {value}\n",
            n + 1
        ));
    }
    if let Value::Object(c) = &i.claims {
        out.push_str("claims     processed (* disclosed, + holds disclosed parts)\n");
        let mark = |name: &str| {
            let own = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
            let inside = format!("{own}/");
            let paths = || sd.disclosures.iter().filter_map(|d| d.path.as_deref());
            if paths().any(|p| p == own) {
                Some('*')
            } else if paths().any(|p| p.starts_with(&inside)) {
                Some('+')
            } else {
                None
            }
        };
        table_marked(out, c, now, true, &mark);
    }
    match &sd.key_binding {
        None => out.push_str("key binding  none presented\n"),
        Some(kb) => {
            out.push_str(&format!(
                "key binding  {}: {}\n",
                signature_word(kb.signature.status),
                kb.signature.shown_detail()
            ));
            if let Value::Object(h) = &kb.header {
                table(out, h, now, false);
            }
            if let Value::Object(c) = &kb.claims {
                table(out, c, now, true);
            }
        }
    }
}
