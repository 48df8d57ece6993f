//! The layer rule, checked rather than described (ARCHITECTURE.md, "Layers").
//!
//! Between crates Cargo forbids an upward or circular dependency. Inside each crate this test
//! reads every `crate::…`, `super::…` and `self::…` path of the library sources (tests aside:
//! `#[cfg(test)]` modules are skipped) and holds it against [`LAYERS`], a small table that
//! gives each module of each crate a layer:
//! - a module may use a module of a lower layer, or one in its own table entry;
//! - a module may use its own submodules (a parent declaring and re-exporting its children);
//! - the crate root (`lib.rs`) is above everything;
//! - and no files import each other in a circle, not even inside one table entry.
//!
//! A module missing from the table fails too, so a new file takes its place on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Per crate (its `src` folder), each module path prefix with its layer, bottom = 0. The
/// longest prefix names a module's entry.
const LAYERS: &[(&str, &[(&str, u32)])] = &[
    (
        "crates/core/src",
        &[
            ("text", 0),
            ("timefmt", 0),
            ("secret", 0),
            ("private_file", 0),
            ("paths", 0),
            ("keys", 1),
            ("http", 2),
            ("token", 3),
            ("oauth", 4),
            ("profile", 5),
            ("connect", 6),
            ("wizard", 7),
            ("steps", 8),
        ],
    ),
    (
        "crates/probe/src",
        &[
            ("verdict", 0),
            ("policy", 1),
            ("driver", 1),
            ("api_host", 1),
            ("cx", 2),
            ("api_cx", 2),
            ("model", 3),
            ("probes", 4),
            ("fit", 4),
            ("runner", 5),
            ("api_runner", 6),
            ("report", 6),
        ],
    ),
    (
        "crates/cli/src",
        &[
            ("out", 0),
            ("connection", 0),
            ("token_report", 1),
            ("call", 2),
            ("discover", 2),
            ("forge_cmd", 2),
            ("generate", 2),
            ("inspect", 2),
            ("key_cmd", 2),
            ("lifecycle", 2),
            ("logout_cmd", 2),
            ("probe_cmd", 2),
            ("probe_api", 3),
            ("profile_cmd", 2),
            ("register", 2),
            ("sandbox", 2),
            ("token_cmd", 2),
        ],
    ),
    (
        "crates/sandbox/src",
        &[
            ("paths", 0),
            ("state::clients", 0),
            ("state::keys", 0),
            ("state::client_keys", 0),
            ("protocol::wire", 0),
            ("protocol::jwe", 0),
            ("local_profile", 1),
            ("state::config", 1),
            ("state::store", 1),
            ("state::registry", 1),
            ("protocol::rar", 1),
            ("protocol::scope", 1),
            ("error", 2),
            ("state::switches", 2),
            ("state::dpop_memory", 2),
            ("state::tls", 3),
            ("state::app", 4),
            ("protocol::page", 5),
            ("protocol::assertion", 5),
            ("protocol::dpop", 5),
            ("protocol::request_object", 5),
            ("protocol::client_auth", 6),
            ("protocol::response_mode", 6),
            ("protocol::access", 6),
            ("protocol::weak_jwt", 6),
            ("protocol::mint", 6),
            ("protocol::credential", 6),
            ("protocol::ciba", 6),
            ("protocol::authorization_request", 7),
            ("grants::authorization_code", 8),
            ("grants::ciba", 8),
            ("grants::client_credentials", 8),
            ("grants::device_code", 8),
            ("grants::jwt_bearer", 8),
            ("grants::password", 8),
            ("grants::refresh_token", 8),
            ("grants::token_exchange", 8),
            ("grants", 9),
            ("handlers::authorize", 10),
            ("handlers::ciba", 10),
            ("handlers::credential", 10),
            ("handlers::device", 10),
            ("handlers::logout", 10),
            ("handlers::metadata", 10),
            ("handlers::par", 10),
            ("handlers::registration", 10),
            ("handlers::resource", 10),
            ("handlers::token", 10),
            ("routes", 11),
            ("state", 4),
            ("protocol", 7),
            ("handlers", 10),
        ],
    ),
    (
        "crates/gui/src",
        &[
            // Base parts.
            ("bench", 0),
            ("calm_start", 0),
            ("connect", 0),
            ("exchange_view", 0),
            ("files", 0),
            ("form_rows", 0),
            ("handoff", 0),
            ("request_editor", 0),
            ("request_options", 0),
            ("sandbox_settings", 0),
            ("widgets", 0),
            ("worker", 0),
            // Shared parts.
            ("browser_wait", 1),
            ("layout", 1),
            ("replay", 1),
            ("sequence", 1),
            ("settings", 1),
            // Panels.
            ("step", 2),
            // Screens: none imports another.
            ("classroom", 3),
            ("flow", 3),
            ("history", 3),
            ("inspector", 3),
            ("logout", 3),
            ("probes", 3),
            ("profiles", 3),
            ("wizard", 3),
            // The shell.
            ("app", 4),
        ],
    ),
];

/// One source file: its module path and the module paths it names.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    uses: Vec<Vec<String>>,
}

#[test]
fn every_crate_keeps_its_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for (src, table) in LAYERS {
        problems.extend(check_crate(&root.join(src), table));
    }
    assert!(
        problems.is_empty(),
        "the layer rule is broken ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every crate under `crates/` has a table: a new crate takes its place on purpose.
#[test]
fn every_crate_has_a_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        panic!("no crates/ folder");
    };
    let known: BTreeSet<String> = LAYERS.iter().map(|(s, _)| s.to_string()).collect();
    for entry in entries.flatten() {
        let src = format!("crates/{}/src", entry.file_name().to_string_lossy());
        assert!(
            known.contains(&src),
            "{src} has no layer table in tests/layers.rs"
        );
    }
}

/// The checker itself: an upward import and a circle are found (a test that cannot fail
/// proves nothing).
#[test]
fn the_checker_sees_an_upward_import_and_a_circle() {
    let dir = tempfile_dir("layers-selftest");
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("lib.rs", "pub mod low;\npub mod high;\npub mod a;\n");
    write("low.rs", "//! low\nuse crate::high::Thing;\n");
    write("high.rs", "//! high\npub struct Thing;\n");
    write("a/mod.rs", "mod x;\nmod y;\npub use x::X;\n");
    write(
        "a/x.rs",
        "use super::y::Y;\n#[cfg(test)]\nmod tests { use crate::high::Thing; }\npub struct X;\n",
    );
    write(
        "a/y.rs",
        "use super::x::X; // crate::high in a comment\npub struct Y;\nconst S: &str = \"crate::high\";\n",
    );
    let problems = check_crate(&dir, &[("low", 0), ("high", 1), ("a", 2)]);
    let text = problems.join("\n");
    assert!(
        text.contains("low.rs uses high (layer 1) from layer 0"),
        "{text}"
    );
    assert!(text.contains("circle"), "{text}");
    assert!(text.contains("a/x.rs") && text.contains("a/y.rs"), "{text}");
    assert!(
        !text.contains("a/x.rs uses high"),
        "tests, comments and strings are skipped: {text}"
    );
    assert_eq!(problems.len(), 2, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn check_crate(src: &Path, table: &[(&str, u32)]) -> Vec<String> {
    let mut sources = Vec::new();
    collect(src, src, &mut sources);
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let top = table.iter().map(|(_, l)| *l).max().unwrap_or(0) + 1;
    let entry = |module: &[String]| -> Option<(String, u32)> {
        if module.is_empty() {
            return Some((String::new(), top));
        }
        let joined = module.join("::");
        table
            .iter()
            .filter(|(prefix, _)| joined == *prefix || joined.starts_with(&format!("{prefix}::")))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(p, l)| (p.to_string(), *l))
    };
    let mut problems = Vec::new();
    // File-level graph for the circle check (edges into a file's own submodules left out).
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for s in &sources {
        let rel = s
            .file
            .strip_prefix(src)
            .unwrap_or(&s.file)
            .display()
            .to_string();
        let Some((my_entry, my_layer)) = entry(&s.module) else {
            problems.push(format!(
                "{rel}: module {} is in no layer",
                s.module.join("::")
            ));
            continue;
        };
        for path in &s.uses {
            let target = resolve(path, &modules);
            if target == s.module || target.starts_with(&s.module) {
                continue; // itself, or its own submodule
            }
            edges
                .entry(s.module.clone())
                .or_default()
                .insert(target.clone());
            let Some((their_entry, their_layer)) = entry(&target) else {
                continue;
            };
            if their_entry == my_entry {
                continue;
            }
            if their_layer >= my_layer {
                let name = if target.is_empty() {
                    "the crate root".to_string()
                } else {
                    target.join("::")
                };
                let problem =
                    format!("{rel} uses {name} (layer {their_layer}) from layer {my_layer}");
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
    }
    for circle in circles(&edges) {
        let files: Vec<String> = circle
            .iter()
            .filter_map(|m| sources.iter().find(|s| &s.module == m))
            .map(|s| {
                s.file
                    .strip_prefix(src)
                    .unwrap_or(&s.file)
                    .display()
                    .to_string()
            })
            .collect();
        problems.push(format!("a circle of imports: {}", files.join(" → ")));
    }
    problems
}

/// The module a path names: the longest prefix that is a module of the crate.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct T<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on: BTreeSet<Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit(t: &mut T, v: &Vec<String>) {
        t.index.insert(v.clone(), t.next);
        t.low.insert(v.clone(), t.next);
        t.next += 1;
        t.stack.push(v.clone());
        t.on.insert(v.clone());
        let succ: Vec<Vec<String>> = t
            .edges
            .get(v)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for w in succ {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low[v];
                t.low.insert(v.clone(), lv.min(lw));
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low[v];
                t.low.insert(v.clone(), lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<Vec<String>> = edges.keys().cloned().collect();
    for v in nodes {
        if !t.index.contains_key(&v) {
            visit(&mut t, &v);
        }
    }
    t.out
}

fn collect(src: &Path, dir: &Path, out: &mut Vec<Source>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(src).unwrap_or(&path);
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let uses = paths_in(&strip(&text), &module);
            out.push(Source {
                file: path,
                module,
                uses,
            });
        }
    }
}

/// The source without comments, string and char literals, and `#[cfg(test)]` modules.
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    remove_test_modules(&out)
}

/// Drops `#[cfg(test)] mod NAME { … }` blocks.
fn remove_test_modules(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let mut trimmed = after.trim_start();
        // Further attributes between `#[cfg(test)]` and the item.
        while trimmed.starts_with("#[") {
            match trimmed.find(']') {
                Some(end) => trimmed = trimmed[end + 1..].trim_start(),
                None => break,
            }
        }
        let is_mod = trimmed.starts_with("mod ")
            || trimmed.starts_with("pub mod ")
            || trimmed.starts_with("pub(crate) mod ");
        let brace = after.find('{');
        let semi = after.find(';');
        match (is_mod, brace) {
            (true, Some(open)) if semi.is_none_or(|s| s > open) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, ch) in after[open..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            _ => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Sep,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(text: &str) -> Vec<Tok> {
    let b: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(b[start..i].iter().collect()));
            continue;
        }
        match c {
            ':' if b.get(i + 1) == Some(&':') => {
                out.push(Tok::Sep);
                i += 2;
                continue;
            }
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            ',' => out.push(Tok::Comma),
            c if c.is_whitespace() => {}
            _ => out.push(Tok::Other),
        }
        i += 1;
    }
    out
}

/// Every path that starts with `crate`, `super` or `self`, made absolute (groups expanded).
fn paths_in(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let starts = matches!(&toks[i], Tok::Ident(s) if s == "crate" || s == "super" || s == "self")
            && toks.get(i + 1) == Some(&Tok::Sep)
            && !(i > 0 && toks[i - 1] == Tok::Sep);
        if !starts {
            i += 1;
            continue;
        }
        let mut base: Vec<String> = module.to_vec();
        let mut j = i;
        // Leading crate / super / self segments.
        let mut first = true;
        while let Some(Tok::Ident(s)) = toks.get(j) {
            match s.as_str() {
                "crate" if first => base.clear(),
                "super" => {
                    base.pop();
                }
                "self" if first => {}
                _ => break,
            }
            first = false;
            if toks.get(j + 1) == Some(&Tok::Sep) {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        let (paths, end) = parse_tree(&toks, j, base);
        out.extend(paths);
        i = end.max(i + 1);
    }
    out
}

/// Parses `a::b::{c, d::e}` from `at`, returning the absolute paths and where it ended.
fn parse_tree(toks: &[Tok], mut at: usize, mut base: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        match toks.get(at) {
            Some(Tok::Ident(s)) => {
                if s != "self" {
                    base.push(s.clone());
                }
                if toks.get(at + 1) == Some(&Tok::Sep) {
                    at += 2;
                } else {
                    return (vec![base], at + 1);
                }
            }
            Some(Tok::Open) => {
                let mut all = Vec::new();
                at += 1;
                loop {
                    match toks.get(at) {
                        Some(Tok::Close) => return (all, at + 1),
                        Some(Tok::Comma) => at += 1,
                        Some(Tok::Ident(s)) if s == "as" => at += 2,
                        None => return (all, at),
                        _ => {
                            let (paths, end) = parse_tree(toks, at, base.clone());
                            all.extend(paths);
                            at = end.max(at + 1);
                        }
                    }
                }
            }
            _ => return (vec![base], at + 1),
        }
    }
}
