//! Progress of long work on a terminal: one line on stderr, rewritten in place at most
//! ten times a second, and cleared at the end. When stderr is not a terminal (piped,
//! redirected, a test), nothing is shown.

use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

/// How far some work has come.
pub(crate) struct Progress {
    what: &'static str,
    /// The total, when it is known.
    total: Option<u64>,
    unit: &'static str,
    done: u64,
    shown: Option<Instant>,
    on: bool,
}

impl Progress {
    /// Progress of `what`, counted in `unit`s, out of `total` if known.
    pub(crate) fn new(what: &'static str, unit: &'static str, total: Option<u64>) -> Progress {
        Progress { what, total, unit, done: 0, shown: None, on: std::io::stderr().is_terminal() }
    }

    /// `count` more units are done.
    pub(crate) fn add(&mut self, count: u64) {
        self.done += count;
        if !self.on || self.shown.is_some_and(|shown| shown.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.shown = Some(Instant::now());
        match self.total {
            Some(total) if total > 0 => eprint!(
                "\r{}: {} of {} {} ({}%)\x1b[K",
                self.what,
                self.done,
                total,
                self.unit,
                self.done.min(total) * 100 / total
            ),
            _ => eprint!("\r{}: {} {}\x1b[K", self.what, self.done, self.unit),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

/// A reader that reports the bytes read through a [`Progress`].
pub(crate) struct Counting<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Counting<R> {
    pub(crate) fn new(inner: R, progress: Progress) -> Self {
        Counting { inner, progress }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.progress.add(read as u64);
        Ok(read)
    }
}
