//! The scope field's picker: the scopes the server lists in its metadata (`scopes_supported`),
//! read by discovery when the user first opens the picker for an issuer (never per keystroke),
//! with what it waits for and a Cancel, each a checkbox that adds its scope to the
//! space-separated Scope field or takes it out. A server that lists none is said so; the field
//! stays free text either way (scopes a server accepts but does not list are common).

use tokio::task::AbortHandle;

use crate::connect;
use crate::worker::Jobs;
use grantscope_core::oauth::EndpointKind;
use grantscope_core::profile::Profile;

/// The answer of one read: the issuer it was for and its scopes, or why there are none.
#[derive(Debug)]
pub struct ScopesRead {
    /// The issuer read.
    pub issuer: String,
    /// `scopes_supported`, in the server's order, or what went wrong.
    pub result: Result<Vec<String>, String>,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Unread,
    Reading {
        issuer: String,
        abort: AbortHandle,
    },
    Read {
        issuer: String,
        scopes: Vec<String>,
    },
    Failed {
        issuer: String,
        why: String,
    },
}

/// The picker's state: open or not, and what is known of which issuer's scopes.
#[derive(Debug, Default)]
pub struct ScopePicker {
    /// The list is shown under the form.
    pub open: bool,
    state: State,
}

/// What the picker asks of its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerCommand {
    /// Read the issuer's `scopes_supported` (needs the worker: [`ScopePicker::read`]).
    Read,
}

impl ScopePicker {
    /// The scopes known for `issuer`, if they were read.
    pub fn known(&self, issuer: &str) -> Option<&[String]> {
        match &self.state {
            State::Read { issuer: i, scopes } if i == issuer => Some(scopes),
            _ => None,
        }
    }

    /// Reads `profile`'s issuer's metadata on the worker; the answer comes as `wrap(..)`.
    pub fn read<M: Send + 'static>(
        &mut self,
        profile: &Profile,
        jobs: &Jobs<M>,
        wrap: fn(ScopesRead) -> M,
    ) {
        self.cancel();
        let Some(issuer) = issuer_of(profile) else {
            return;
        };
        let prepared = match connect::prepare(profile, jobs.keys()) {
            Ok(p) => p,
            Err(e) => {
                self.state = State::Failed {
                    issuer,
                    why: connect::describe(&e),
                };
                return;
            }
        };
        let for_job = issuer.clone();
        let abort = jobs.spawn(async move {
            // Discovery only: no endpoint is needed, the metadata is.
            let result = match prepared.connect(&[] as &[EndpointKind], None).await {
                Ok(c) => match c.discovery {
                    Some(d) => Ok(d.supported("scopes_supported")),
                    None if !c.notes.is_empty() => Err(c.notes.join("; ")),
                    None => Err("discovery found no metadata document".to_owned()),
                },
                Err(e) => Err(connect::describe(&e)),
            };
            wrap(ScopesRead {
                issuer: for_job,
                result,
            })
        });
        self.state = State::Reading { issuer, abort };
    }

    /// Takes a read's answer (a late answer for another issuer or a cancelled read is dropped).
    pub fn on_read(&mut self, read: ScopesRead) {
        if !matches!(&self.state, State::Reading { issuer, .. } if *issuer == read.issuer) {
            return;
        }
        self.state = match read.result {
            Ok(scopes) => State::Read {
                issuer: read.issuer,
                scopes,
            },
            Err(why) => State::Failed {
                issuer: read.issuer,
                why,
            },
        };
    }

    /// Stops a read in progress.
    pub fn cancel(&mut self) {
        if let State::Reading { abort, .. } = &self.state {
            abort.abort();
            self.state = State::Unread;
        }
    }

    /// The button beside the Scope field: opens or closes the list; asks for a read when the
    /// list opens and this issuer's scopes are not known yet.
    pub fn button_ui(&mut self, ui: &mut egui::Ui, profile: &Profile) -> Option<PickerCommand> {
        let issuer = issuer_of(profile);
        let r = ui
            .add_enabled(
                issuer.is_some(),
                egui::Button::selectable(self.open, "Choose..."),
            )
            .on_hover_text("The scopes this server lists (scopes_supported)")
            .on_disabled_hover_text("Fill in Issuer: its metadata lists the scopes");
        if !r.clicked() {
            return None;
        }
        self.open = !self.open;
        let issuer = issuer?;
        let fresh = match &self.state {
            State::Unread => true,
            State::Reading { issuer: i, .. }
            | State::Read { issuer: i, .. }
            | State::Failed { issuer: i, .. } => *i != issuer,
        };
        (self.open && fresh).then_some(PickerCommand::Read)
    }

    /// The list under the form (when open): a checkbox per scope the server lists, or the
    /// read in progress with Cancel, or why there is no list.
    pub fn list_ui(&mut self, ui: &mut egui::Ui, profile: &mut Profile) {
        if !self.open {
            return;
        }
        let Some(issuer) = issuer_of(profile) else {
            return;
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            match &self.state {
                State::Reading { issuer: i, .. } if *i == issuer => {
                    let mut cancel = false;
                    ui.horizontal_wrapped(|ui| {
                        ui.spinner();
                        ui.label(format!(
                            "Reading the scopes {issuer} lists (its discovery document)..."
                        ));
                        cancel = ui.button("Cancel").clicked();
                    });
                    if cancel {
                        self.cancel();
                        self.open = false;
                    }
                }
                State::Read { issuer: i, scopes } if *i == issuer => {
                    if scopes.is_empty() {
                        ui.label(
                            "The server lists no scopes (no scopes_supported): type them in \
                             Scope.",
                        );
                        return;
                    }
                    ui.label(
                        egui::RichText::new(format!(
                            "Scopes {issuer} lists (scopes_supported); ticked ones are in Scope:"
                        ))
                        .weak(),
                    );
                    let mut chosen = split(profile.scope.as_deref());
                    let mut changed = false;
                    ui.horizontal_wrapped(|ui| {
                        for s in scopes {
                            let mut on = chosen.iter().any(|c| c == s);
                            if ui
                                .checkbox(&mut on, grantscope_core::text::inert(s))
                                .changed()
                            {
                                changed = true;
                                if on {
                                    chosen.push(s.clone());
                                } else {
                                    chosen.retain(|c| c != s);
                                }
                            }
                        }
                    });
                    if changed {
                        let joined = chosen.join(" ");
                        profile.scope = (!joined.is_empty()).then_some(joined);
                    }
                }
                State::Failed { issuer: i, why } if *i == issuer => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("Cannot read the scopes {issuer} lists: {why}"),
                    );
                }
                // Another issuer than the one read: read again from the button.
                _ => {
                    ui.label("The issuer changed: press Choose... again to read its scopes.");
                }
            }
        });
    }
}

/// The profile's issuer, trimmed, if it has one.
fn issuer_of(profile: &Profile) -> Option<String> {
    profile
        .issuer
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The scopes of a space-separated scope value, in order, without repeats.
fn split(scope: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.unwrap_or("").split_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_values_split_on_whitespace_without_repeats() {
        assert_eq!(
            split(Some(" openid  profile openid ")),
            ["openid", "profile"]
        );
        assert!(split(None).is_empty());
    }

    #[test]
    fn a_late_answer_for_another_issuer_is_dropped() {
        let mut p = ScopePicker::default();
        p.on_read(ScopesRead {
            issuer: "https://a".into(),
            result: Ok(vec!["openid".into()]),
        });
        assert!(p.known("https://a").is_none(), "nothing was being read");
    }
}
