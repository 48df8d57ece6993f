//! Background work for the desktop app: a tokio runtime on its own thread.
//!
//! Screens hand futures to [`Worker::spawn`]; each future ends in an [`Event`] that goes back over
//! a channel, and the worker asks egui for a repaint so the UI drains it on the next frame. No
//! frame ever waits on I/O, and nothing repaints while nothing arrives.

use std::future::Future;
use std::sync::mpsc;

use super::events::Event;

/// Sends events to the UI thread and wakes it up. Cloneable; handed to long-running jobs that
/// report progress (a flow's steps) before they finish.
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Event>,
    ctx: egui::Context,
}

impl EventSink {
    /// Queues an event and requests a repaint. A closed app (receiver gone) is not an error.
    pub fn send(&self, event: Event) {
        if self.tx.send(event).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

/// The runtime thread and the event channel.
pub struct Worker {
    handle: tokio::runtime::Handle,
    sink: EventSink,
    rx: mpsc::Receiver<Event>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the runtime thread.
    pub fn new(ctx: egui::Context) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("grantscope-worker")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("grantscope-runtime".into())
            .spawn(move || {
                // Park the runtime here until the app goes away; tasks run on its workers.
                let _ = runtime.block_on(shutdown_rx);
                runtime.shutdown_background();
            })?;
        let (tx, rx) = mpsc::channel();
        Ok(Self {
            handle,
            sink: EventSink { tx, ctx },
            rx,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// A sink for progress events.
    pub fn sink(&self) -> EventSink {
        self.sink.clone()
    }

    /// The runtime handle, for code that needs to spawn itself (the in-process sandbox).
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Runs `job` on the runtime; its event is delivered to the UI when it finishes.
    pub fn spawn<F>(&self, job: F) -> tokio::task::AbortHandle
    where
        F: Future<Output = Event> + Send + 'static,
    {
        let sink = self.sink.clone();
        self.handle
            .spawn(async move {
                let event = job.await;
                sink.send(event);
            })
            .abort_handle()
    }

    /// Takes every event that has arrived since the last frame.
    pub fn drain(&self) -> Vec<Event> {
        self.rx.try_iter().collect()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
