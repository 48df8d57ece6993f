//! The sandbox's module layers: inside the crate, a module imports (`crate::` or `super::`)
//! only modules of a lower layer, or its own submodules. [`LAYERS`] is the table, bottom to top;
//! a new module must be placed in it. A folder's `mod.rs` that only declares its submodules
//! (`state`, `protocol`, `handlers`) needs no row.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top; modules of one row may not import each other.
const LAYERS: &[&[&str]] = &[
    &[
        "paths",
        "state::clients",
        "state::keys",
        "state::client_keys",
        "protocol::wire",
    ],
    &[
        "state::config",
        "state::store",
        "protocol::rar",
        "protocol::scope",
    ],
    &["error", "state::switches", "state::dpop_memory"],
    &["state::tls"],
    &["state::app"],
    &[
        "protocol::page",
        "protocol::assertion",
        "protocol::dpop",
        "protocol::request_object",
    ],
    &[
        "protocol::client_auth",
        "protocol::response_mode",
        "protocol::access",
        "protocol::mint",
    ],
    &["protocol::authorization_request"],
    &[
        "grants::authorization_code",
        "grants::client_credentials",
        "grants::device_code",
        "grants::jwt_bearer",
        "grants::password",
        "grants::refresh_token",
        "grants::token_exchange",
    ],
    &["grants"],
    &[
        "handlers::authorize",
        "handlers::device",
        "handlers::metadata",
        "handlers::par",
        "handlers::resource",
        "handlers::token",
    ],
    &["routes"],
    &["crate"],
];

/// Every `.rs` file under `dir`, as (module path, source).
fn modules(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            modules(&path, &join(prefix, &name), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match (prefix, name.as_str()) {
                ("", "lib") => "crate".to_string(),
                (p, "mod") => p.to_string(),
                (p, n) => join(p, n),
            };
            out.push((module, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}::{name}")
    }
}

/// The source without its unit tests (they may reach anything of the module they test).
fn without_tests(source: &str) -> &str {
    match source.find("#[cfg(test)]") {
        Some(i) if source[i..].contains("mod tests") => &source[..i],
        _ => source,
    }
}

/// The paths named after `crate::` or `super::` (resolved to crate paths); a `{…}` group is
/// expanded into one path per item.
fn referenced(module: &str, source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let start_ok = i == 0 || !is_ident(bytes[i - 1]);
        let (base, skip) = if start_ok && rest.starts_with(b"crate::") {
            (String::new(), "crate::".len())
        } else if start_ok && rest.starts_with(b"super::") {
            let mut base: Vec<&str> = if module == "crate" {
                Vec::new()
            } else {
                module.split("::").collect()
            };
            let mut skip = 0;
            while bytes[i + skip..].starts_with(b"super::") {
                base.pop();
                skip += "super::".len();
            }
            (base.join("::"), skip)
        } else {
            i += 1;
            continue;
        };
        i += skip;
        let path_end = source[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(source.len(), |n| i + n);
        let path = source[i..path_end].trim_end_matches(':');
        let prefix = join(&base, path);
        if source[path_end..].starts_with('{') {
            let close = source[path_end..]
                .find('}')
                .map_or(source.len(), |n| path_end + n);
            for item in source[path_end + 1..close].split(',') {
                let item: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if !item.is_empty() && item != "self" {
                    out.push(join(&prefix, &item));
                } else if item == "self" {
                    out.push(prefix.clone());
                }
            }
            i = close;
        } else {
            out.push(prefix);
            i = path_end;
        }
    }
    out
}

#[test]
fn every_module_imports_only_lower_layers() {
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |m| (*m, i)))
        .collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    modules(&src, "", &mut all);
    let mut problems = Vec::new();
    for (module, source) in &all {
        let body = without_tests(source);
        let refs = referenced(module, body);
        let own = layer.get(module.as_str()).copied();
        if own.is_none() && !refs.is_empty() {
            problems.push(format!(
                "{module} is in no layer of the table but imports {refs:?}"
            ));
            continue;
        }
        for r in refs {
            // The longest module of the table that the path starts with (else the crate root).
            let parts: Vec<&str> = r.split("::").collect();
            let target = (1..=parts.len())
                .rev()
                .map(|k| parts[..k].join("::"))
                .find(|m| layer.contains_key(m.as_str()))
                .unwrap_or_else(|| "crate".to_string());
            if target == *module || target.starts_with(&format!("{module}::")) {
                continue;
            }
            let theirs = layer[target.as_str()];
            if own.is_some_and(|own| theirs >= own) {
                problems.push(format!(
                    "{module} (layer {}) imports {target} (layer {theirs}) via {r}",
                    own.unwrap_or_default()
                ));
            }
        }
    }
    for (module, _) in &all {
        let folder = ["state", "protocol", "handlers"].contains(&module.as_str());
        assert!(
            folder || layer.contains_key(module.as_str()),
            "{module} is missing from LAYERS"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
