//! The module layers of the desktop app, bottom to top, and the test that holds them: a module
//! (a file, or a folder with its files) imports through `crate::` or `super::` only modules of
//! a lower layer, besides its own submodules. Screens never import each other; what two screens
//! share moves down into a shared part, and what one screen asks of another is a command the
//! shell carries out.

/// The layers, bottom to top: (name, the top-level modules in it).
pub const LAYERS: &[(&str, &[&str])] = &[
    (
        "base parts",
        &[
            "bench",
            "connect",
            "exchange_view",
            "files",
            "form_rows",
            "handoff",
            "request_editor",
            "request_options",
            "sandbox_rule",
            "sandbox_settings",
            "widgets",
            "worker",
        ],
    ),
    (
        "shared parts",
        &["layout", "replay", "sequence", "settings"],
    ),
    ("panels", &["step"]),
    (
        "screens",
        &[
            "classroom",
            "flow",
            "history",
            "inspector",
            "probes",
            "profiles",
            "wizard",
        ],
    ),
    ("shell", &["app"]),
];

/// The layer of a top-level module.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The module names that follow `crate::` or `super::` in `text`, with which of the two.
fn paths_in(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for prefix in ["crate::", "super::"] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((
                    if prefix == "crate::" {
                        "crate"
                    } else {
                        "super"
                    },
                    name,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_module_imports_its_own_layer_or_above() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut problems = Vec::new();
        for path in files {
            let rel = path.strip_prefix(&src).unwrap();
            let parts: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let top = parts[0].as_str();
            if top == "lib" || top == "layers" {
                continue;
            }
            let Some(own) = layer_of(top) else {
                problems.push(format!("{}: not in the layer table", rel.display()));
                continue;
            };
            // In a folder's file other than mod.rs, `super::` is the folder's own module.
            let in_folder = parts.len() > 1 && parts.last().is_some_and(|p| p != "mod");
            let text = std::fs::read_to_string(&path).unwrap();
            for (kind, name) in paths_in(&text) {
                if (kind == "super" && in_folder) || name == top {
                    continue;
                }
                if let Some(theirs) = layer_of(&name)
                    && theirs >= own
                {
                    problems.push(format!(
                        "{}: {kind}::{name} ({}) from the {}",
                        rel.display(),
                        LAYERS[theirs].0,
                        LAYERS[own].0
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn every_module_is_in_one_layer() {
        let mut seen = std::collections::BTreeSet::new();
        for (_, modules) in LAYERS {
            for m in *modules {
                assert!(seen.insert(*m), "{m} is in two layers");
            }
        }
    }
}
