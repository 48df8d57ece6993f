//! What an installed grantscope ships beside the binary, generated from the same clap
//! definitions as the parser: `grantscope completions SHELL` prints a shell's completion
//! script (clap_complete), and `grantscope man --out DIR` writes the manual pages,
//! `grantscope.1` and one per subcommand (`grantscope-token.1`, `grantscope-profile-save.1`, …;
//! clap_mangen), which `scripts/package-deb.sh` puts in the package. (`man` is not hidden:
//! clap_complete would offer a hidden subcommand all the same, and `cargo install` users need
//! it to get the pages.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Command};
use clap_complete::Shell;

use crate::out;

/// Where each shell looks for the script: the help of `grantscope completions`.
const WHERE_TO_PUT_IT: &str = "\
Where to put the script (the Debian package installs the first three for every user):
  bash        ~/.local/share/bash-completion/completions/grantscope
  zsh         a folder on $fpath, as _grantscope (e.g. ~/.zfunc/_grantscope with fpath+=~/.zfunc before compinit)
  fish        ~/.config/fish/completions/grantscope.fish
  elvish      eval (grantscope completions elvish | slurp) in ~/.config/elvish/rc.elv
  powershell  grantscope completions powershell | Out-String | Invoke-Expression in $PROFILE

For example: grantscope completions bash > ~/.local/share/bash-completion/completions/grantscope";

#[derive(Debug, Args)]
#[command(after_help = WHERE_TO_PUT_IT)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The folder to write the pages into (created when missing; pages there are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `grantscope completions SHELL`: the script on stdout. `cmd` is the whole command line
/// (`crate::command`), so the script knows every subcommand and flag.
pub fn completions(args: &CompletionsArgs, mut cmd: Command) -> ExitCode {
    let name = cmd.get_name().to_owned();
    clap_complete::generate(args.shell, &mut cmd, name, &mut out::Stdout);
    ExitCode::SUCCESS
}

/// `grantscope man --out DIR`: the pages of `cmd` and its visible subcommands, each path
/// written on stdout; exit 2 when the folder or a page cannot be written.
pub fn man(args: &ManArgs, cmd: Command) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let before = page_names(&args.out);
    if let Err(e) = clap_mangen::generate_to(cmd, &args.out) {
        eprintln!(
            "error: cannot write the manual pages into {}: {e}",
            args.out.display()
        );
        return ExitCode::from(2);
    }
    let mut written: Vec<String> = page_names(&args.out).into_iter().collect();
    written.sort();
    for name in written {
        let note = if before.contains(&name) {
            " (replaced)"
        } else {
            ""
        };
        println!("{}{note}", args.out.join(&name).display());
    }
    ExitCode::SUCCESS
}

/// The names of the section-1 pages in `dir` (`*.1`).
fn page_names(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".1"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand, at every depth, gets a page named after its path; clap's `help`
    /// gets none.
    #[test]
    fn one_page_per_visible_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        let args = ManArgs {
            out: dir.path().join("man1"),
        };
        assert_eq!(
            man(&args, crate::command("9.9.9 (commit test)")),
            ExitCode::SUCCESS
        );
        let pages = page_names(&args.out);
        for page in [
            "grantscope.1",
            "grantscope-token.1",
            "grantscope-completions.1",
            "grantscope-man.1",
            "grantscope-profile.1",
            "grantscope-profile-save.1",
            "grantscope-key-generate.1",
        ] {
            assert!(pages.contains(page), "no {page} in {pages:?}");
        }
        assert!(!pages.iter().any(|p| p.contains("help")), "{pages:?}");
        let top = std::fs::read_to_string(args.out.join("grantscope.1")).unwrap();
        assert!(
            top.starts_with(".ie") || top.contains(".TH grantscope 1"),
            "{top}"
        );
        assert!(
            top.contains("9.9.9 (commit test)"),
            "the version is on the page: {top}"
        );
    }
}
