//! Hidden measurement hooks for `scripts/bench-gui.sh` (off unless its environment variables are
//! set; nothing here runs in normal use).
//!
//! - `GRANTSCOPE_BENCH_T0_NS=<unix ns>`: print `first_frame_ms=…` when the first frame is done.
//! - `GRANTSCOPE_BENCH_EXIT=first-frame`: close the window right after it.
//! - `GRANTSCOPE_BENCH_STARTUP_LOG=1` (with `_T0_NS`): print one `startup_frame …` line per frame
//!   for the first five seconds: when it ended, eframe's CPU for it, the app's own time, and
//!   why it ran (what egui was asked to repaint for), to find what runs before the app goes idle.
//! - `GRANTSCOPE_BENCH_FRAMES=N` (and/or `GRANTSCOPE_BENCH_SECONDS=S`): after
//!   `GRANTSCOPE_BENCH_WARMUP` frames (default 30), repaint continuously and record, per frame,
//!   eframe's CPU time (UI + tessellation + painting), the app's own `logic`+`ui` time, and the
//!   wall-clock gap between frames, until N frames or S seconds; print percentiles and close.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The bench state for one window.
#[derive(Debug, Default)]
pub struct Bench {
    t0_ns: Option<u128>,
    exit_after_first: bool,
    startup_log: bool,
    frame_no: usize,
    first_done: bool,
    frames_wanted: usize,
    seconds: Option<f32>,
    warmup: usize,
    seen: usize,
    started: Option<Instant>,
    cpu: Vec<f32>,
    ui_ms: Vec<f32>,
    gaps: Vec<f32>,
    last: Option<Instant>,
    frame_start: Option<Instant>,
    done: bool,
}

fn pct(sorted: &[f32], p: f32) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f32 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

impl Bench {
    /// Reads the environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            t0_ns: var("GRANTSCOPE_BENCH_T0_NS").and_then(|v| v.parse().ok()),
            exit_after_first: var("GRANTSCOPE_BENCH_EXIT").as_deref() == Some("first-frame"),
            startup_log: var("GRANTSCOPE_BENCH_STARTUP_LOG").is_some(),
            frames_wanted: var("GRANTSCOPE_BENCH_FRAMES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            seconds: var("GRANTSCOPE_BENCH_SECONDS").and_then(|v| v.parse().ok()),
            warmup: var("GRANTSCOPE_BENCH_WARMUP")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30),
            ..Self::default()
        }
    }

    fn recording(&self) -> bool {
        self.frames_wanted > 0 || self.seconds.is_some()
    }

    /// Whether any hook is on.
    pub fn active(&self) -> bool {
        !self.done && (self.t0_ns.is_some() || self.recording() || self.startup_log)
    }

    /// Called at the start of `logic`.
    pub fn start_of_frame(&mut self) {
        if self.active() {
            self.frame_start = Some(Instant::now());
        }
    }

    /// Called at the end of each frame's `ui`.
    pub fn end_of_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        if self.done {
            return;
        }
        self.frame_no += 1;
        if self.startup_log
            && let Some(t0) = self.t0_ns
        {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let since = now.saturating_sub(t0) as f64 / 1e6;
            if since < 5000.0 {
                let own = self
                    .frame_start
                    .map_or(0.0, |s| s.elapsed().as_secs_f64() * 1000.0);
                // eframe reports the previous frame's CPU time.
                let cpu = frame.info().cpu_usage.map_or(0.0, |c| c * 1000.0);
                let causes = ctx.repaint_causes();
                let why: Vec<String> = causes.iter().map(ToString::to_string).collect();
                println!(
                    "startup_frame n={} at_ms={since:.1} prev_cpu_ms={cpu:.1} app_ms={own:.1} why={}",
                    self.frame_no,
                    if why.is_empty() {
                        "-".to_owned()
                    } else {
                        why.join(";")
                    }
                );
            }
        }
        if !self.first_done {
            self.first_done = true;
            if let Some(t0) = self.t0_ns {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                println!("first_frame_ms={:.1}", now.saturating_sub(t0) as f64 / 1e6);
            }
            if self.exit_after_first {
                self.done = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                return;
            }
        }
        if !self.recording() {
            return;
        }
        let now = Instant::now();
        self.seen += 1;
        if self.seen <= self.warmup {
            ctx.request_repaint();
            return;
        }
        let started = *self.started.get_or_insert(now);
        if let Some(last) = self.last {
            self.gaps
                .push(now.duration_since(last).as_secs_f32() * 1000.0);
            if let Some(cpu) = frame.info().cpu_usage {
                self.cpu.push(cpu * 1000.0);
            }
            if let Some(fs) = self.frame_start {
                self.ui_ms
                    .push(now.duration_since(fs).as_secs_f32() * 1000.0);
            }
        }
        self.last = Some(now);
        let enough_frames = self.frames_wanted > 0 && self.cpu.len() >= self.frames_wanted;
        let enough_time = self
            .seconds
            .is_some_and(|s| now.duration_since(started).as_secs_f32() >= s);
        if enough_frames || enough_time {
            for v in [&mut self.cpu, &mut self.ui_ms, &mut self.gaps] {
                v.sort_by(f32::total_cmp);
            }
            println!(
                "frames={} cpu_ms_p50={:.2} cpu_ms_p99={:.2} cpu_ms_max={:.2} ui_ms_p99={:.2} ui_ms_max={:.2} gap_ms_p99={:.1} gap_ms_max={:.1}",
                self.cpu.len(),
                pct(&self.cpu, 0.5),
                pct(&self.cpu, 0.99),
                pct(&self.cpu, 1.0),
                pct(&self.ui_ms, 0.99),
                pct(&self.ui_ms, 1.0),
                pct(&self.gaps, 0.99),
                pct(&self.gaps, 1.0),
            );
            self.done = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ctx.request_repaint();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pct;

    #[test]
    fn percentiles() {
        let v: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        assert_eq!(pct(&v, 0.5), 51.0);
        assert_eq!(pct(&v, 0.99), 99.0);
        assert_eq!(pct(&v, 1.0), 100.0);
        assert_eq!(pct(&[], 0.5), 0.0);
    }
}
