//! A spinner on the terminal while a long build runs. It appears only on a
//! terminal, never with `--quiet`, and only once the build has taken longer
//! than [`DELAY`], so a quick build prints its summary alone; it is cleared
//! before anything else is printed.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::{OnStep, Step};

/// How long a build runs before the spinner shows.
const DELAY: Duration = Duration::from_millis(300);

/// The spinner of one build; [`Progress::finish`] clears it.
pub struct Progress {
    bar: ProgressBar,
    shower: Option<(JoinHandle<()>, std::sync::mpsc::Sender<()>)>,
}

/// The outputs still rendering, in the order they were started.
#[derive(Default)]
struct Rendering {
    all: Vec<&'static str>,
    left: Vec<&'static str>,
}

impl Progress {
    /// A spinner for this build if stderr is a terminal and not `quiet`;
    /// else one that never draws.
    pub fn new(quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let shown = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let shower = shown.then(|| {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let bar = bar.clone();
            let handle = std::thread::spawn(move || {
                // Finished (or dropped) before the delay: never drawn.
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(DELAY) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(100));
                }
            });
            (handle, tx)
        });
        Progress { bar, shower }
    }

    /// What the build reports goes to the spinner's message.
    pub fn on_step(&self) -> OnStep {
        let bar = self.bar.clone();
        let rendering = Mutex::new(Rendering::default());
        Arc::new(move |step: Step| {
            let msg = match step {
                Step::Assembling => "assembling the manuscript".to_string(),
                Step::Writing => "writing".to_string(),
                Step::Rendering(names) => {
                    let mut r = rendering.lock().unwrap_or_else(|e| e.into_inner());
                    r.all = names.to_vec();
                    r.left = names.to_vec();
                    message(&r)
                }
                Step::Rendered(name) => {
                    let mut r = rendering.lock().unwrap_or_else(|e| e.into_inner());
                    r.left.retain(|n| *n != name);
                    message(&r)
                }
            };
            bar.set_message(msg);
        })
    }

    /// Clear the spinner (before the build's summary or errors print).
    pub fn finish(mut self) {
        if let Some((handle, tx)) = self.shower.take() {
            let _ = tx.send(());
            let _ = handle.join();
        }
        self.bar.finish_and_clear();
    }
}

/// "rendering PDF, Word (2 of 4 done)".
fn message(r: &Rendering) -> String {
    let done = r.all.len() - r.left.len();
    if r.left.is_empty() {
        return "rendered".to_string();
    }
    let mut s = format!("rendering {}", r.left.join(", "));
    if done > 0 {
        s.push_str(&format!(" ({done} of {} done)", r.all.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_what_is_still_rendering() {
        let mut r = Rendering {
            all: vec!["site", "PDF", "JATS", "Word"],
            left: vec!["site", "PDF", "JATS", "Word"],
        };
        assert_eq!(message(&r), "rendering site, PDF, JATS, Word");
        r.left = vec!["PDF"];
        assert_eq!(message(&r), "rendering PDF (3 of 4 done)");
        r.left.clear();
        assert_eq!(message(&r), "rendered");
    }

    #[test]
    fn a_hidden_spinner_takes_every_step_and_clears() {
        let p = Progress::new(true);
        let f = p.on_step();
        f(Step::Assembling);
        f(Step::Rendering(&["site", "PDF"]));
        f(Step::Rendered("site"));
        f(Step::Writing);
        assert!(p.bar.is_hidden());
        p.finish();
    }
}
