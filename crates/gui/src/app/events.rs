//! Events that background jobs send back to the UI thread, one variant per screen.
//!
//! Each screen owns its message type and never names this one: the worker wraps a screen's
//! messages into their variant ([`crate::worker::Worker::jobs`]). The app drains them once per
//! frame (see [`crate::worker::Worker::drain`]) and hands each to the screen it belongs to.

use crate::flow::FlowMsg;
use crate::history::HistoryMsg;
use crate::inspector::InspectorMsg;
use crate::profiles::ProfilesMsg;

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
    /// The Logout listener window.
    Logout(crate::logout::LogoutMsg),
    /// The probes window.
    Probes(crate::probes::ProbesMsg),
    /// The wizard's "start from an API".
    Api(crate::wizard::api::ApiMsg),
    /// The in-process sandbox started, stopped, or could not start (the classroom).
    Sandbox(crate::classroom::SandboxMsg),
}
