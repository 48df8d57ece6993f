//! Events that background jobs send back to the UI thread, one variant per screen.
//!
//! Each screen owns its message type and never names this one: the worker wraps a screen's
//! messages into their variant ([`super::worker::Worker::jobs`]). The app drains them once per
//! frame (see [`super::worker::Worker::drain`]) and hands each to the screen it belongs to.

use super::flow::FlowMsg;
use super::history::HistoryMsg;
use super::inspector::InspectorMsg;
use super::profiles::ProfilesMsg;

/// A finished (or progressing) background job.
#[derive(Debug)]
pub enum Event {
    /// A dropped file was read.
    FileRead {
        /// The file name, for messages.
        name: String,
        /// Its text, or why it could not be read.
        result: Result<String, String>,
    },
    /// The flow runner.
    Flow(FlowMsg),
    /// The token inspector.
    Inspector(InspectorMsg),
    /// The profiles screen.
    Profiles(ProfilesMsg),
    /// The history screen.
    History(HistoryMsg),
    /// The in-process sandbox started, stopped, or could not start (the classroom).
    Sandbox(super::classroom::SandboxMsg),
}
