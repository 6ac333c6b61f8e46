//! The runtime with real test guests: guest output reaches the host log
//! tagged with the route.

use std::io::Write;
use std::sync::{Arc, Mutex};

use trellis_runtime::{GlobalStore, Mode, Replay};
use trellis_tests::load_runtime;

/// A log sink that the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Returns the log of this test process, installing the subscriber that
/// writes it on first use.
///
/// The subscriber is the global default, not a scoped one per test:
/// tracing caches whether a callsite is enabled, and a test thread without
/// a subscriber could make that cache skip the guest-output callsites for
/// another test's scoped subscriber.
fn captured_log() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber is set");
        captured
    })
}

/// Renders a route once in a fresh live instance, which is dropped after.
async fn render_once(
    runtime: &trellis_runtime::Runtime,
    resolved: trellis_runtime::Resolved,
) -> Result<(), trellis_runtime::CallError> {
    let mut instance = runtime
        .instantiate(
            resolved.route,
            resolved.request,
            Mode::Live,
            GlobalStore::new(),
            Replay::fresh(),
        )
        .await?;
    instance.render().await.map(|_| ())
}

#[test]
fn guest_output_goes_to_log_with_route() {
    let (_, runtime) = load_runtime("tests/guests");
    let resolved = runtime
        .resolve("/stderr")
        .expect("the test app has /stderr");
    let captured = captured_log();
    let async_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    async_runtime
        .block_on(render_once(&runtime, resolved))
        .unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let stdout_line = log.lines().find(|line| line.contains("hello from stdout"));
    let stderr_line = log.lines().find(|line| line.contains("hello from stderr"));
    assert!(
        stdout_line.is_some_and(
            |line| line.contains("route=\"/stderr\"") || line.contains("route=/stderr")
        ),
        "{log}"
    );
    assert!(
        stderr_line.is_some_and(|line| line.contains("WARN")),
        "{log}"
    );
}

#[test]
fn guest_panic_message_reaches_error() {
    captured_log();
    let (_, runtime) = load_runtime("tests/guests");
    let resolved = runtime.resolve("/panic").expect("the test app has /panic");
    let async_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let result = async_runtime.block_on(render_once(&runtime, resolved));

    let Err(trellis_runtime::CallError::Trap(message)) = result else {
        panic!("expected a trap, got {result:?}");
    };
    assert!(message.starts_with("panicked at "), "{message}");
    assert!(message.contains("src/lib.rs"), "{message}");
    assert!(message.contains("fails on purpose"), "{message}");
    assert!(!message.contains("wasm backtrace"), "{message}");
}
