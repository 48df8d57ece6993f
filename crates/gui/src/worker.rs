//! Background work for the desktop app: a tokio runtime on its own thread.
//!
//! Each screen owns its message type and gets a [`Jobs`] handle for it from
//! [`Worker::jobs`]: the worker maps the screen's messages into the event type `E` of whoever
//! owns the worker (the app shell, with a wrapper it supplies), so this module names no screen
//! and no app type, and screens never name the app's event type. A job's future ends
//! in one message; long jobs report progress through a [`Sink`]. Every message wakes the UI, which
//! drains them on the next frame; no frame ever waits on I/O, and nothing repaints while nothing
//! arrives.

use std::future::Future;
use std::sync::{Arc, mpsc};

use grantscope_core::keys::KeyStore;

/// Sends one screen's messages to the UI thread and wakes it up. Cloneable; handed to
/// long-running jobs that report progress (a flow's steps) before they finish.
pub struct Sink<M> {
    send: Arc<dyn Fn(M) + Send + Sync>,
}

impl<M> Clone for Sink<M> {
    fn clone(&self) -> Self {
        Self {
            send: self.send.clone(),
        }
    }
}

impl<M: 'static> Sink<M> {
    /// Queues a message and requests a repaint. A closed app (receiver gone) is not an error.
    pub fn send(&self, msg: M) {
        (self.send)(msg);
    }

    /// A sink for a part of this screen (a panel with messages of its own).
    pub fn map<N: 'static>(&self, wrap: fn(N) -> M) -> Sink<N> {
        let parent = self.send.clone();
        Sink {
            send: Arc::new(move |n| parent(wrap(n))),
        }
    }
}

/// Runs one screen's jobs on the worker; their messages come back as that screen's type.
pub struct Jobs<M> {
    handle: tokio::runtime::Handle,
    sink: Sink<M>,
    keys: KeyStore,
}

impl<M> Clone for Jobs<M> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            sink: self.sink.clone(),
            keys: self.keys.clone(),
        }
    }
}

impl<M: Send + 'static> Jobs<M> {
    /// Runs `job` on the runtime; its message is delivered to the UI when it finishes.
    pub fn spawn<F>(&self, job: F) -> tokio::task::AbortHandle
    where
        F: Future<Output = M> + Send + 'static,
    {
        let sink = self.sink.clone();
        self.handle
            .spawn(async move {
                let msg = job.await;
                sink.send(msg);
            })
            .abort_handle()
    }

    /// A sink for progress messages.
    pub fn sink(&self) -> Sink<M> {
        self.sink.clone()
    }

    /// The key store of the app's config directory, where keys named by a profile are found.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Jobs for a part of this screen (a panel with messages of its own).
    pub fn map<N: Send + 'static>(&self, wrap: fn(N) -> M) -> Jobs<N> {
        Jobs {
            handle: self.handle.clone(),
            sink: self.sink.map(wrap),
            keys: self.keys.clone(),
        }
    }
}

/// The runtime thread and the channel of the owner's events `E`.
pub struct Worker<E> {
    handle: tokio::runtime::Handle,
    tx: mpsc::Sender<E>,
    ctx: egui::Context,
    rx: mpsc::Receiver<E>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    keys: KeyStore,
}

impl<E: Send + 'static> Worker<E> {
    /// Starts the runtime thread; its jobs find named keys in `keys` (the app's config
    /// directory's store).
    pub fn new(ctx: egui::Context, keys: KeyStore) -> std::io::Result<Self> {
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
            tx,
            ctx,
            rx,
            shutdown: Some(shutdown),
            thread: Some(thread),
            keys,
        })
    }

    /// Jobs whose messages the app receives as `wrap(message)`.
    pub fn jobs<M: Send + 'static>(&self, wrap: fn(M) -> E) -> Jobs<M> {
        let (tx, ctx) = (self.tx.clone(), self.ctx.clone());
        Jobs {
            handle: self.handle.clone(),
            sink: Sink {
                send: Arc::new(move |m| {
                    if tx.send(wrap(m)).is_ok() {
                        ctx.request_repaint();
                    }
                }),
            },
            keys: self.keys.clone(),
        }
    }

    /// Takes every event that has arrived since the last frame.
    pub fn drain(&self) -> Vec<E> {
        self.rx.try_iter().collect()
    }
}

impl<E> Drop for Worker<E> {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
