//! Hidden measurement hooks for `scripts/bench-gui.sh` (off unless its environment variables are
//! set; nothing here runs in normal use).
//!
//! - `GRANTSCOPE_BENCH_T0_NS=<unix ns>`: print `first_frame_ms=…` when the first frame is done.
//! - `GRANTSCOPE_BENCH_EXIT=first-frame`: close the window right after it.
//! - `GRANTSCOPE_BENCH_FRAMES=N`: repaint continuously, record eframe's per-frame CPU time and
//!   the wall-clock gap between frames for N frames, print the percentiles, close.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The bench state for one window.
#[derive(Debug, Default)]
pub struct Bench {
    t0_ns: Option<u128>,
    exit_after_first: bool,
    first_done: bool,
    frames_wanted: usize,
    cpu: Vec<f32>,
    gaps: Vec<f32>,
    last: Option<Instant>,
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
            frames_wanted: var("GRANTSCOPE_BENCH_FRAMES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            ..Self::default()
        }
    }

    /// Whether any hook is on.
    pub fn active(&self) -> bool {
        !self.done && (self.t0_ns.is_some() || self.frames_wanted > 0)
    }

    /// Called at the end of each frame's `ui`.
    pub fn end_of_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        if self.done {
            return;
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
        if self.frames_wanted == 0 {
            return;
        }
        let now = Instant::now();
        if let Some(last) = self.last {
            self.gaps
                .push(now.duration_since(last).as_secs_f32() * 1000.0);
            if let Some(cpu) = frame.info().cpu_usage {
                self.cpu.push(cpu * 1000.0);
            }
        }
        self.last = Some(now);
        if self.cpu.len() >= self.frames_wanted {
            self.cpu.sort_by(f32::total_cmp);
            self.gaps.sort_by(f32::total_cmp);
            println!(
                "frames={} cpu_ms_p50={:.2} cpu_ms_p99={:.2} cpu_ms_max={:.2} gap_ms_p99={:.1} gap_ms_max={:.1}",
                self.cpu.len(),
                pct(&self.cpu, 0.5),
                pct(&self.cpu, 0.99),
                pct(&self.cpu, 1.0),
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
