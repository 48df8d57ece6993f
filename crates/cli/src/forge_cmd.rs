//! `grantscope forge TOKEN|-`: edit a signed token's claims (`--set`, `--unset`) and header
//! (`--jose-header`, `--unset-jose-header`), re-sign it (`--sign-with` a stored key or key
//! file, `--secret`/`--secret-file` for HS256/384/512, `--alg none`), or make a forgery of it
//! (`--attack ID`, one token per variant a line). The token workbench of the inspector does the
//! same through the same core ([`grantscope_core::token::forge`]).
//!
//! Exit status: 0 the token(s) printed, 2 usage or configuration error (unreadable token, bad
//! value, unknown key, missing issuer key). A secret is never printed.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Map, Value, json};
use url::Url;

use grantscope_core::http::Exchange;
use grantscope_core::keys::{JwsAlg, KeyStore, StoredKey};
use grantscope_core::oauth::Session;
use grantscope_core::oauth::discovery::discover;
use grantscope_core::text::inert;
use grantscope_core::token::KeySource;
use grantscope_core::token::forge::{
    AttackId, AttackInputs, ForgeError, ForgeInput, IssuerKey, Signing, Token, attack,
    value_from_text,
};
use grantscope_core::token::jwks::load_jwks_value;

/// Arguments of `grantscope forge`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "Edit, re-sign or forge a signed token (JWT): the workbench behind the API probes",
    after_help = "VALUE is read as JSON when it parses as JSON (--set exp=1700000000, --set 'aud=[\"a\",\"b\"]'), else as a string.\n\
                  Without --sign-with, --secret or --alg none an edited token keeps its old signature (a tampered token).\n\
                  Exit status: 0 printed, 2 usage or configuration error."
)]
pub struct ForgeArgs {
    /// The token; `-` or nothing reads it from stdin. A leading `Bearer ` is ignored.
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: Option<String>,

    /// Set a claim (repeatable).
    #[arg(long = "set", value_name = "CLAIM=VALUE")]
    pub set: Vec<String>,

    /// Remove a claim (repeatable).
    #[arg(long = "unset", value_name = "CLAIM")]
    pub unset: Vec<String>,

    /// Set a JOSE header member (repeatable).
    #[arg(long = "jose-header", value_name = "NAME=VALUE")]
    pub jose_header: Vec<String>,

    /// Remove a JOSE header member (repeatable).
    #[arg(long = "unset-jose-header", value_name = "NAME")]
    pub unset_jose_header: Vec<String>,

    /// Re-sign with a private key: a stored key's name or a key file. Its kid goes in the
    /// header unless --jose-header sets one.
    #[arg(long, value_name = "KEY_NAME_OR_FILE", conflicts_with_all = ["secret", "secret_file"])]
    pub sign_with: Option<String>,

    /// Re-sign with HMAC over this shared secret (HS256 unless --alg says HS384/HS512). Prefer
    /// --secret-file: a command line is visible to other users.
    #[arg(long, value_name = "S", conflicts_with = "secret_file")]
    pub secret: Option<String>,

    /// Read the shared secret from a file (trailing newline removed).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,

    /// The algorithm to sign with (with --sign-with or a secret); `none` alone makes an
    /// unsecured token.
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,

    /// Make a forgery of the token instead: alg-none, signature-stripped, signature-invalid,
    /// claims-tampered, hmac-key-confusion (with --jwks-uri or --issuer), embedded-jwk,
    /// kid-injection, psychic-signature. One token per variant, one a line.
    #[arg(long, value_name = "ID", conflicts_with_all = ["sign_with", "secret", "secret_file", "alg"])]
    pub attack: Option<String>,

    /// The issuer's JWKS (an http(s) URL or a file), for hmac-key-confusion.
    #[arg(long, value_name = "URL_OR_FILE", conflicts_with = "issuer")]
    pub jwks_uri: Option<String>,

    /// The issuer whose discovery document gives the JWKS, for hmac-key-confusion.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Total HTTP timeout for discovery and the JWKS fetch (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Print a JSON array of {variant, token, header, claims}.
    #[arg(long)]
    pub json: bool,
}

/// A usage or configuration error: exit 2.
struct UsageError(String);

impl From<ForgeError> for UsageError {
    fn from(e: ForgeError) -> Self {
        UsageError(inert(&e.to_string()).into_owned())
    }
}

/// Runs `forge` against the real stdin, stdout and stderr.
pub async fn run(args: ForgeArgs) -> ExitCode {
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

/// Runs `forge` with the given streams; returns the exit status (0 or 2).
pub async fn execute(
    args: ForgeArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match execute_inner(args, stdin, out, err).await {
        Ok(()) => 0,
        Err(UsageError(msg)) => {
            let _ = writeln!(err, "error: {msg}");
            2
        }
    }
}

/// `NAME=VALUE` split at the first `=`.
fn split_pair<'a>(flag: &str, pair: &'a str) -> Result<(&'a str, &'a str), UsageError> {
    pair.split_once('=').ok_or_else(|| {
        UsageError(format!(
            "{flag} takes NAME=VALUE; {:?} has no '='",
            inert(pair)
        ))
    })
}

async fn execute_inner(
    args: ForgeArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), UsageError> {
    let text = read_token(args.token.as_deref(), stdin)?;
    let mut token = Token::parse(&text)?;
    let mut edited = false;
    for pair in &args.set {
        let (name, value) = split_pair("--set", pair)?;
        token.set_claim(name, value_from_text(value))?;
        edited = true;
    }
    for name in &args.unset {
        if !token.unset_claim(name)? {
            let _ = writeln!(err, "note: the token has no claim {:?}", inert(name));
        }
        edited = true;
    }
    let mut header_kid = false;
    for pair in &args.jose_header {
        let (name, value) = split_pair("--jose-header", pair)?;
        header_kid |= name == "kid";
        token.set_header(name, value_from_text(value))?;
        edited = true;
    }
    for name in &args.unset_jose_header {
        header_kid |= name == "kid";
        if !token.unset_header(name) {
            let _ = writeln!(err, "note: the header has no member {:?}", inert(name));
        }
        edited = true;
    }

    if let Some(id) = &args.attack {
        let id: AttackId = id.parse().map_err(UsageError)?;
        return forge_attack(&args, id, &token, out, err).await;
    }

    let secret = read_secret(&args)?;
    let alg = args.alg.as_deref();
    let stored: Option<StoredKey> = match &args.sign_with {
        Some(name) => Some(load_key(name)?),
        None => None,
    };
    match (&stored, &secret, alg) {
        (Some(stored), _, alg) => {
            let alg = alg.map(parse_alg).transpose()?;
            token.sign(Signing::Key {
                key: &stored.key,
                alg,
                set_kid: !header_kid,
            })?;
        }
        (None, Some(secret), alg) => {
            let alg = match alg {
                Some(a) => parse_alg(a)?,
                // The token's own HS* algorithm, else HS256.
                None => token
                    .alg()
                    .and_then(|a| a.parse::<JwsAlg>().ok())
                    .filter(|a| a.is_symmetric())
                    .unwrap_or(JwsAlg::Hs256),
            };
            if !alg.is_symmetric() {
                return Err(UsageError(format!(
                    "--secret signs HS256, HS384 or HS512, not {alg}; use --sign-with for {alg}"
                )));
            }
            token.sign(Signing::Secret { secret, alg })?;
        }
        (None, None, Some(a)) if a.eq_ignore_ascii_case("none") => {
            token.sign(Signing::None { spelling: a })?;
        }
        (None, None, Some(_)) => {
            return Err(UsageError(
                "--alg names the algorithm for --sign-with or --secret; alone it takes only `none`"
                    .into(),
            ));
        }
        (None, None, None) => {
            if edited {
                let _ = writeln!(
                    err,
                    "note: the old signature was kept; it does not match the edited token"
                );
            }
        }
    }
    let forged = token.encode();
    if args.json {
        print_json(
            out,
            &[json_row("forge", &forged, token.header(), token.claims())],
        )?;
    } else {
        let _ = writeln!(out, "{forged}");
    }
    Ok(())
}

fn parse_alg(text: &str) -> Result<JwsAlg, UsageError> {
    if text.eq_ignore_ascii_case("none") {
        return Err(UsageError(
            "--alg none makes an unsecured token; it does not go with --sign-with or --secret"
                .into(),
        ));
    }
    text.parse::<JwsAlg>().map_err(UsageError)
}

async fn forge_attack(
    args: &ForgeArgs,
    id: AttackId,
    token: &Token,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), UsageError> {
    if id.needs_server() {
        return Err(UsageError(format!(
            "{id} needs something served (a URL to point at, an issuer to be); \
             `grantscope probe --api` makes and serves it"
        )));
    }
    let issuer_key = match (&args.jwks_uri, &args.issuer) {
        (None, None) => None,
        _ => Some(issuer_key(args, token, err).await?),
    };
    let inputs = AttackInputs {
        issuer_key: issuer_key.as_ref(),
        ..AttackInputs::default()
    };
    let variants = attack(id, token, &inputs).map_err(|e| match e {
        ForgeError::Missing(ForgeInput::IssuerKey) => UsageError(format!(
            "{id} needs the issuer's public key: pass --jwks-uri or --issuer"
        )),
        other => other.into(),
    })?;
    if args.json {
        let rows: Vec<Value> = variants
            .iter()
            .map(|v| json_row(&v.name, &v.token, &v.header, &v.claims))
            .collect();
        print_json(out, &rows)?;
    } else {
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        let _ = writeln!(
            err,
            "{} variant(s) of {id}: {}",
            variants.len(),
            names.join(", ")
        );
        for v in &variants {
            let _ = writeln!(out, "{}", v.token);
        }
    }
    Ok(())
}

fn json_row(variant: &str, token: &str, header: &Map<String, Value>, claims: &Value) -> Value {
    json!({ "variant": variant, "token": token, "header": header, "claims": claims })
}

fn print_json(out: &mut dyn Write, rows: &[Value]) -> Result<(), UsageError> {
    let text = grantscope_core::text::to_json_pretty(&rows)
        .map_err(|e| UsageError(format!("cannot serialise the tokens: {e}")))?;
    let _ = writeln!(out, "{text}");
    Ok(())
}

/// The issuer's signing key the token names, from `--jwks-uri` or the issuer's discovery.
async fn issuer_key(
    args: &ForgeArgs,
    token: &Token,
    err: &mut dyn Write,
) -> Result<IssuerKey, UsageError> {
    let http = super::connection::http_with_timeout(args.timeout).map_err(UsageError)?;
    let mut exchanges: Vec<Exchange> = Vec::new();
    let source = match (&args.jwks_uri, &args.issuer) {
        (Some(uri), _) => KeySource::from_uri_or_path(uri),
        (None, Some(issuer)) => {
            let url = Url::parse(issuer)
                .map_err(|e| UsageError(format!("--issuer is not a URL ({e})")))?;
            let mut session = Session::new(http.clone());
            let found = discover(&mut session, &url).await;
            exchanges.extend(session.take_exchanges());
            let discovery = found.map_err(|e| UsageError(inert(&e.to_string()).into_owned()))?;
            let jwks_uri = discovery.endpoints.jwks_uri.clone().ok_or_else(|| {
                UsageError(
                    "the issuer's discovery document has no jwks_uri; pass --jwks-uri".into(),
                )
            })?;
            KeySource::JwksUrl(jwks_uri)
        }
        (None, None) => KeySource::None,
    };
    let loaded = load_jwks_value(&source, &http, &mut exchanges).await;
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
    let jwks = loaded
        .map_err(|e| UsageError(inert(&e.to_string()).into_owned()))?
        .ok_or_else(|| UsageError("no JWKS to read the issuer's key from".into()))?;
    Ok(IssuerKey::pick(&jwks, token.kid())?)
}

fn load_key(name: &str) -> Result<StoredKey, UsageError> {
    let resolved = match KeyStore::open_default() {
        Ok(store) => store.resolve(name),
        // Without a config directory, a key file still works.
        Err(_) => grantscope_core::keys::read_key_file(std::path::Path::new(name)),
    };
    resolved.map_err(|e| UsageError(format!("--sign-with: {}", inert(&e.to_string()))))
}

fn read_token(arg: Option<&str>, stdin: &mut dyn Read) -> Result<String, UsageError> {
    let token = match arg {
        Some(t) if t != "-" => t.to_owned(),
        _ => {
            let mut s = String::new();
            stdin
                .take(grantscope_core::token::forge::MAX_TOKEN_BYTES as u64 + 1)
                .read_to_string(&mut s)
                .map_err(|e| UsageError(format!("cannot read the token from stdin: {e}")))?;
            s
        }
    };
    if token.trim().is_empty() {
        return Err(UsageError(
            "no token: pass it as an argument, or pipe it in with `-`".into(),
        ));
    }
    Ok(token)
}

fn read_secret(args: &ForgeArgs) -> Result<Option<Vec<u8>>, UsageError> {
    match (&args.secret, &args.secret_file) {
        (Some(s), _) => Ok(Some(s.clone().into_bytes())),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).as_bytes().to_vec()))
            .map_err(|e| {
                UsageError(format!(
                    "cannot read the secret file {}: {e}",
                    path.display()
                ))
            }),
        (None, None) => Ok(None),
    }
}
