//! Integration tests of the desktop app, driven headless with egui_kittest (each test its own
//! config dir; they run in parallel threads): wizard, flows, step mode, call panel, keys,
//! files, lifecycle lab, classroom, probes window, layout at every supported size. One test
//! binary; each former test file is a module (see tests/README.md).
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../gui_support/mod.rs"]
mod gui_support;

mod gui_call;
mod gui_ciba;
mod gui_classroom;
mod gui_files;
mod gui_flows;
mod gui_journeys;
mod gui_keys;
mod gui_layout;
mod gui_lifecycle;
mod gui_logout;
mod gui_more;
mod gui_probe_api;
mod gui_probes;
mod gui_projector;
mod gui_reach;
mod gui_startup;
mod gui_step_mode;
mod gui_tokens;
mod gui_truth;
mod gui_wizard;
mod gui_workbench;
