//! Build script of the `grantscope` binary: records the git commit it is built from, for
//! `grantscope --version` (`GRANTSCOPE_COMMIT`, the short hash, or `unknown` outside a git
//! checkout or without git).
//!
//! It runs again when HEAD moves: on HEAD itself (a checkout of another branch or commit), on
//! the branch's ref file (a commit) and on `packed-refs` (a ref that `git gc` packed). Paths
//! come from `git rev-parse --git-path`, so a linked worktree works too. A file that does not
//! exist is not named (cargo would run the script on every build). A checkout counts only when
//! this package is its top folder: sources copied into another repository say `unknown`
//! rather than that repository's commit.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if !is_checkout_top() {
        println!("cargo:rustc-env=GRANTSCOPE_COMMIT=unknown");
        return;
    }
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).is_file()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=GRANTSCOPE_COMMIT={commit}");
}

/// Whether the package's folder is the top of a git checkout (a clone or a linked worktree).
fn is_checkout_top() -> bool {
    let (Some(top), Ok(here)) = (
        git(&["rev-parse", "--show-toplevel"]),
        std::env::var("CARGO_MANIFEST_DIR"),
    ) else {
        return false;
    };
    match (
        Path::new(&top).canonicalize(),
        Path::new(&here).canonicalize(),
    ) {
        (Ok(top), Ok(here)) => top == here,
        _ => false,
    }
}

/// `git ARGS` in the package's folder: its first line of output, or `None` when git is
/// missing, fails, or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}
