//! `grantscope profile ...`: list, show, save, delete, import and export saved connections.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::connection::ConnectionArgs;
use grantscope_core::http::MASK;
use grantscope_core::profile::{Profile, ProfileStore, StoreError};

#[derive(Debug, Clone, Subcommand)]
pub enum ProfileCommand {
    /// List saved profiles (damaged files are reported and set aside).
    List {
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show one profile (the secret masked unless --reveal-secrets).
    Show {
        /// The profile's name.
        name: String,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
        /// Show the client secret instead of masking it.
        #[arg(long)]
        reveal_secrets: bool,
    },
    /// Create or update a profile from connection options.
    Save(Box<SaveArgs>),
    /// Delete a profile.
    Delete {
        /// The profile's name.
        name: String,
    },
    /// Import a profile file (e.g. one exported elsewhere).
    Import {
        /// The profile file (JSON, as `profile export` writes it).
        file: PathBuf,
        /// Store it under this name instead of the one in the file.
        #[arg(long)]
        name: Option<String>,
        /// Replace an existing profile of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Export a profile to a file; the client secret is left out unless --include-secret.
    Export {
        /// The profile's name.
        name: String,
        /// The file to write.
        file: PathBuf,
        /// Write the client secret too (the file then holds a secret: keep it private).
        #[arg(long)]
        include_secret: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SaveArgs {
    /// The profile's name (an existing profile of that name is updated).
    pub name: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A note saying what this profile is for.
    #[arg(long)]
    pub description: Option<String>,
}

fn err(e: StoreError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(match e {
        StoreError::Io { .. } => 1,
        _ => 2,
    })
}

fn masked(p: &Profile, reveal: bool) -> Profile {
    let mut p = p.clone();
    if !reveal && p.client_secret.is_some() {
        p.client_secret = Some(MASK.into());
    }
    if !reveal && p.registration_access_token.is_some() {
        p.registration_access_token = Some(MASK.into());
    }
    p
}

pub fn run(cmd: ProfileCommand) -> ExitCode {
    let store = match ProfileStore::default_location() {
        Ok(s) => s,
        Err(e) => return err(e),
    };
    match cmd {
        ProfileCommand::List { json } => match store.list() {
            Ok(listing) => {
                for problem in &listing.problems {
                    eprintln!("warning: {problem}");
                }
                if json {
                    let v: Vec<_> = listing.profiles.iter().map(|p| masked(p, false)).collect();
                    println!(
                        "{}",
                        grantscope_core::text::to_json_pretty(&v).unwrap_or_default()
                    );
                } else if listing.profiles.is_empty() {
                    eprintln!("no profiles in {}", store.dir().display());
                } else {
                    for p in &listing.profiles {
                        let target = p
                            .issuer
                            .clone()
                            .or(p.token_endpoint.clone())
                            .unwrap_or_else(|| "-".into());
                        println!("{:24} {:24} {}", p.name, p.client_id, target);
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => err(e),
        },
        ProfileCommand::Show {
            name,
            json,
            reveal_secrets,
        } => match store.load(&name) {
            Ok(p) => {
                let p = masked(&p, reveal_secrets);
                if json {
                    println!(
                        "{}",
                        grantscope_core::text::to_json_pretty(&p).unwrap_or_default()
                    );
                } else {
                    let v = serde_json::to_value(&p).unwrap_or_default();
                    if let Some(obj) = v.as_object() {
                        for (k, v) in obj {
                            if v.is_null() || v.as_array().is_some_and(|a| a.is_empty()) {
                                continue;
                            }
                            let text = v
                                .as_str()
                                .map(String::from)
                                .unwrap_or_else(|| v.to_string());
                            println!("{k:30} {text}");
                        }
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => err(e),
        },
        ProfileCommand::Save(args) => {
            let mut p = match store.load(&args.name) {
                Ok(p) => p,
                Err(StoreError::NotFound(_)) => Profile::new(&args.name),
                Err(e) => return err(e),
            };
            args.connection.apply_to(&mut p);
            if let Some(d) = args.description {
                p.description = Some(d);
            }
            if let Err(e) = p.endpoints() {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            match store.save(&p) {
                Ok(path) => {
                    eprintln!("saved profile {:?} to {}", p.name, path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => err(e),
            }
        }
        ProfileCommand::Delete { name } => match store.delete(&name) {
            Ok(()) => {
                eprintln!("deleted profile {name:?}");
                ExitCode::SUCCESS
            }
            Err(e) => err(e),
        },
        ProfileCommand::Import {
            file,
            name,
            replace,
        } => match store.import(&file, name.as_deref(), replace) {
            Ok(p) => {
                eprintln!("imported profile {:?}", p.name);
                ExitCode::SUCCESS
            }
            Err(e) => err(e),
        },
        ProfileCommand::Export {
            name,
            file,
            include_secret,
        } => match store.export(&name, &file, include_secret) {
            Ok(()) => {
                eprintln!(
                    "exported profile {name:?} to {}{}",
                    file.display(),
                    if include_secret {
                        " (WITH the client secret)"
                    } else {
                        " (client secret left out)"
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => err(e),
        },
    }
}
