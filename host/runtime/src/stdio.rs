//! Guest stdout and stderr, written line by line to the host's log.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Maximum length of a logged line, in bytes; the rest of a longer line is
/// dropped.
const MAX_LINE: usize = 4096;

/// A guest output stream (stdout or stderr) that logs each line it receives
/// at `info` (stdout) or `warn` (stderr), tagged with the route.
#[derive(Clone)]
pub(crate) struct LogStream {
    route: Arc<str>,
    name: &'static str,
    panic: PanicCapture,
}

/// The last panic a guest printed to stderr. Rust's panic hook writes
/// `thread '…' panicked at FILE:LINE:COL:` and the message on the next
/// line; the host puts both into the trap's error.
#[derive(Clone, Default)]
pub(crate) struct PanicCapture(Arc<std::sync::Mutex<PanicLines>>);

#[derive(Default)]
struct PanicLines {
    location: Option<String>,
    message: Option<String>,
}

impl PanicCapture {
    /// Returns and clears `panicked at FILE:LINE:COL: MESSAGE`, if the guest
    /// printed a panic since the last call.
    pub(crate) fn take(&self) -> Option<String> {
        let mut lines = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let location = lines.location.take()?;
        let message = lines.message.take().unwrap_or_default();
        Some(
            format!("panicked at {location} {message}")
                .trim_end()
                .to_string(),
        )
    }

    fn observe(&self, line: &str) {
        let mut lines = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, location)) = line.split_once(" panicked at ") {
            lines.location = Some(location.to_string());
            lines.message = None;
        } else if lines.location.is_some() && lines.message.is_none() && !line.trim().is_empty() {
            lines.message = Some(line.to_string());
        }
    }
}

impl LogStream {
    pub(crate) fn stdout(route: Arc<str>) -> Self {
        Self {
            route,
            name: "stdout",
            panic: PanicCapture::default(),
        }
    }

    pub(crate) fn stderr(route: Arc<str>, panic: PanicCapture) -> Self {
        Self {
            route,
            name: "stderr",
            panic,
        }
    }

    fn writer(&self) -> LineWriter {
        LineWriter {
            stream: self.clone(),
            line: Vec::new(),
            truncated: false,
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.writer())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.writer())
    }
}

/// Collects bytes into lines and logs every complete line.
struct LineWriter {
    stream: LogStream,
    line: Vec<u8>,
    truncated: bool,
}

impl LineWriter {
    fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                self.emit();
            } else if self.line.len() < MAX_LINE {
                self.line.push(byte);
            } else {
                self.truncated = true;
            }
        }
    }

    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let text = text.trim_end_matches('\r');
        if self.stream.name == "stderr" {
            self.stream.panic.observe(text);
        }
        if text.is_empty() {
            self.line.clear();
            self.truncated = false;
            return;
        }
        let route = &*self.stream.route;
        let suffix = if self.truncated { " [line cut]" } else { "" };
        if self.stream.name == "stdout" {
            tracing::info!(target: "trellis::guest", route, stream = "stdout", "{text}{suffix}");
        } else {
            tracing::warn!(target: "trellis::guest", route, stream = "stderr", "{text}{suffix}");
        }
        self.line.clear();
        self.truncated = false;
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.emit();
        }
    }
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(MAX_LINE)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Returns `text` cut to at most `max` bytes at a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
