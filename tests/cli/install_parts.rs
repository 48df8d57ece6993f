//! What an installed grantscope ships beside the binary, through the real binary: the bash
//! completion script sourced in a real bash and asked to complete, the other shells' scripts,
//! the manual pages of the `man` command, and `--version` naming the git commit.
//! (`scripts/check-package.sh` renders the pages with `man -l` and checks the Debian package.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::cli::Grantscope;

const T: Duration = Duration::from_secs(60);

/// Sources the completion script in `bash --norc`, finds the function `complete -p grantscope`
/// names, sets `COMP_WORDS`/`COMP_CWORD` as bash would for the command line `words` with the
/// cursor at the end of the last word, calls the function and returns `COMPREPLY`.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    const DRIVER: &str = r#"
source "$1" || exit 3
spec=$(complete -p grantscope) || { echo "no completion registered for grantscope" >&2; exit 4; }
case "$spec" in *" -F "*) ;; *) echo "not a function completion: $spec" >&2; exit 5 ;; esac
func=${spec#* -F }
func=${func%% *}
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
COMPREPLY=()
"$func" grantscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    // `timeout`: a completion function that loops must fail the test, not hang it.
    let out = Command::new("timeout")
        .args(["60", "bash", "--norc", "--noprofile", "-c", DRIVER, "bash"])
        .arg(script)
        .args(words)
        .output()
        .expect("run bash (and coreutils' timeout)");
    assert!(
        out.status.success(),
        "bash completion of {words:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn script(shell: &str) -> String {
    let out = Grantscope::new(["completions", shell]).run(T).unwrap();
    assert_eq!(out.code(), 0, "completions {shell}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "completions {shell}: {}", out.stderr);
    out.stdout
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grantscope.bash");
    std::fs::write(&file, script("bash")).unwrap();

    assert_eq!(bash_complete(&file, &["grantscope", "tok"]), ["token"]);
    assert_eq!(
        bash_complete(&file, &["grantscope", "token", "--skip"]),
        ["--skip-check"]
    );
    // A grant is a value of `token`'s first argument.
    assert_eq!(
        bash_complete(&file, &["grantscope", "token", "client-c"]),
        ["client-credentials"]
    );
    let top = bash_complete(&file, &["grantscope", ""]);
    for sub in [
        "discover",
        "token",
        "probe",
        "completions",
        "man",
        "profile",
        "key",
    ] {
        assert!(top.iter().any(|w| w == sub), "{sub} not offered: {top:?}");
    }
    assert_eq!(
        bash_complete(&file, &["grantscope", "completions", "fi"]),
        ["fish"]
    );
}

/// Every other shell gets a script that knows the subcommands and the flags (their own
/// shells are not on the test machine to run them).
#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("zsh", "#compdef grantscope"),
        ("fish", "complete -c grantscope"),
        ("elvish", "edit:completion:arg-completer[grantscope]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let text = script(shell);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        assert!(
            text.contains("skip-check") && text.contains("revoke-after"),
            "{shell}: flags missing"
        );
    }
    let bad = Grantscope::new(["completions", "tcsh"]).run(T).unwrap();
    assert_eq!(bad.code(), 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("possible values"), "{}", bad.stderr);
}

/// The pages the `man` command writes: one per visible subcommand at every depth,
/// named after its path, each a roff page with the flags in it.
#[test]
fn man_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let args = [OsStr::new("man"), OsStr::new("--out"), out_dir.as_os_str()];
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);

    let mut expected = BTreeSet::new();
    fn walk(cmd: &clap::Command, prefix: &str, into: &mut BTreeSet<String>) {
        into.insert(format!("{prefix}.1"));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &format!("{prefix}-{}", sub.get_name()), into);
        }
    }
    walk(
        &grantscope_cli::command("test"),
        "grantscope",
        &mut expected,
    );
    let written: BTreeSet<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(written, expected);
    assert!(written.len() > 20, "{written:?}");
    assert_eq!(out.stdout.lines().count(), written.len(), "{}", out.stdout);

    let token = std::fs::read_to_string(out_dir.join("grantscope-token.1")).unwrap();
    assert!(token.contains(".TH grantscope-token 1"), "{token}");
    assert!(token.contains(r"\-\-skip\-check"), "{token}");
    let top = std::fs::read_to_string(out_dir.join("grantscope.1")).unwrap();
    assert!(top.contains("grantscope\\-completions(1)"), "{top}");
}

/// `--version` (and `-V`) say the version and the commit: the checkout's short hash, or
/// `unknown` where the sources are not a git checkout.
#[test]
fn version_names_the_commit() {
    let root = env!("CARGO_MANIFEST_DIR");
    let commit = Command::new("git")
        .args(["rev-parse", "--show-toplevel", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8(o.stdout).ok()?;
            let mut lines = text.lines();
            let top = std::fs::canonicalize(lines.next()?).ok()?;
            let here = std::fs::canonicalize(root).ok()?;
            (top == here).then(|| lines.next().map(str::to_owned))?
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let expected = format!(
        "grantscope {} (commit {commit})\n",
        env!("CARGO_PKG_VERSION")
    );
    for flag in ["--version", "-V"] {
        let out = Grantscope::new([flag]).run(T).unwrap();
        assert_eq!(out.code(), 0, "{}", out.stderr);
        assert_eq!(out.stdout, expected);
    }
}
