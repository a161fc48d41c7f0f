//! A stderr writer for `serve` that batches log lines, so that a busy responder makes one
//! `write` per batch instead of one per request.
//!
//! Lines below WARN wait in a buffer until it contains [`FLUSH_BYTES`] or a background
//! thread flushes it, at most [`FLUSH_INTERVAL`] later. A warning or an error flushes the
//! buffer at once, so problems are never delayed and the order of lines is kept. [`flush`]
//! writes what is left; [`crate::app::run`] calls it before the process exits.
//! Journald and other readers of a stream split it on newlines, so a batch still becomes
//! one entry per line.

use std::io::{self, Write};
use std::sync::{Mutex, Once};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Longest time a buffered line waits before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Buffer size at which lines are written at once.
pub const FLUSH_BYTES: usize = 32 * 1024;

static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static FLUSHER: Once = Once::new();

/// The `MakeWriter` of the batching writer. Creating it starts the flushing thread.
#[derive(Clone, Copy, Debug)]
pub struct BatchedStderr;

impl BatchedStderr {
    pub fn new() -> BatchedStderr {
        FLUSHER.call_once(|| {
            let started = std::thread::Builder::new().name("log-flush".to_string()).spawn(|| {
                loop {
                    std::thread::sleep(FLUSH_INTERVAL);
                    flush();
                }
            });
            if let Err(error) = started {
                // Without the thread, lines still go out when the buffer fills, on each
                // warning and at exit.
                eprintln!("acme-preflight: warning: cannot start the log flushing thread: {error}");
            }
        });
        BatchedStderr
    }
}

impl Default for BatchedStderr {
    fn default() -> BatchedStderr {
        BatchedStderr::new()
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter { urgent: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineWriter {
        // tracing orders levels by verbosity: ERROR < WARN < INFO.
        LineWriter {
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

/// The writer for one log line: it appends to the buffer, and an urgent line flushes it.
pub struct LineWriter {
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
        buffer.extend_from_slice(bytes);
        if self.urgent || buffer.len() >= FLUSH_BYTES {
            write_out(&mut buffer);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes every buffered line to stderr.
pub fn flush() {
    let mut buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
    write_out(&mut buffer);
}

fn write_out(buffer: &mut Vec<u8>) {
    if buffer.is_empty() {
        return;
    }
    // A closed or full stderr must not stop the server; the lines are dropped instead.
    let _ = io::stderr().lock().write_all(buffer);
    buffer.clear();
    // Keep the capacity of one batch, not of the largest burst.
    buffer.shrink_to(FLUSH_BYTES * 2);
}
