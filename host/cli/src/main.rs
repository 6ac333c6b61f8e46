//! The `trellis` command: builds an app's guests, serves the app, and
//! prerenders its routes to static HTML.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use trellis_app::AppConfig;
use trellis_build::{BuildOptions, BuiltRoute};
use trellis_runtime::{RouteSpec, Runtime, RuntimeOptions};
use trellis_server::{App, SERVER_KEY_ENV, ServerKey, ServerOptions, SessionId};

/// Build, serve and prerender Trellis apps.
///
/// Log output goes to standard error; set RUST_LOG (for example
/// `RUST_LOG=trellis=debug`) to choose what is logged.
#[derive(Debug, Parser)]
#[command(name = "trellis", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile the app's guest crates to WebAssembly components.
    Build {
        /// The app directory, which contains trellis.toml.
        #[arg(default_value = ".")]
        app_dir: PathBuf,
    },
    /// Serve the app over HTTP and Socket.IO, building stale guests first.
    Serve {
        /// The app directory, which contains trellis.toml.
        #[arg(default_value = ".")]
        app_dir: PathBuf,
        /// The address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:3000", value_parser = parse_listen)]
        listen: SocketAddr,
        /// Mark the session cookie `Secure`; set it when clients reach the
        /// app over HTTPS (through a proxy that terminates TLS).
        #[arg(long)]
        secure_cookies: bool,
        /// After SIGTERM or Ctrl-C, how many seconds the server may take to
        /// tell connected tabs to reconnect and finish the requests in
        /// progress before it exits anyway.
        #[arg(long, default_value_t = 10)]
        shutdown_timeout_secs: u64,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Write the HTML document that `GET PATH` returns, without a server.
    Prerender {
        /// The app directory, which contains trellis.toml.
        app_dir: PathBuf,
        /// The path to prerender, with an optional query, such as `/items/4`.
        path: String,
        /// Write the document to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
}

#[derive(Debug, Args)]
struct RuntimeArgs {
    /// Use the components already built instead of running the guest build
    /// first.
    #[arg(long)]
    no_build: bool,
    /// How many guest instances may exist at once (mounted routes plus
    /// prerenders in progress); sizes the instance pool.
    #[arg(long, default_value_t = 1000)]
    max_instances: u32,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only help a terminal; a log file or pipe gets plain
        // text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build { app_dir } => {
            let config = load_config(&app_dir)?;
            let routes = trellis_build::build_app(&config, &BuildOptions::for_app(&config))?;
            for route in routes {
                println!(
                    "{} -> {}",
                    route.pattern.as_str(),
                    route.component.display()
                );
            }
            Ok(())
        }
        Command::Serve {
            app_dir,
            listen,
            secure_cookies,
            shutdown_timeout_secs,
            runtime,
        } => {
            let config = load_config(&app_dir)?;
            let runtime_options = runtime_options(&config, &runtime);
            let loaded = load_runtime(&config, &runtime, runtime_options)?;
            let mut options = server_options(&config)?;
            options.secure_cookies |= secure_cookies;
            options.shutdown_timeout = Duration::from_secs(shutdown_timeout_secs);
            let app = App::new(loaded, config.title.clone(), options);
            tokio_runtime()?.block_on(serve(app, listen))
        }
        Command::Prerender {
            app_dir,
            path,
            out,
            runtime,
        } => {
            if !path.starts_with('/') {
                bail!("the path {path:?} must start with `/`");
            }
            let config = load_config(&app_dir)?;
            let runtime_options = runtime_options(&config, &runtime);
            let loaded = load_runtime(&config, &runtime, runtime_options)?;
            let app = App::new(loaded, config.title.clone(), server_options(&config)?);
            let page = tokio_runtime()?.block_on(app.prerender(&path, &SessionId::generate()));
            match &out {
                Some(file) => std::fs::write(file, &page.html)
                    .with_context(|| format!("failed to write {}", file.display()))?,
                None => print!("{}", page.html),
            }
            if page.status != 200 {
                bail!("prerendering {path} gave HTTP status {}", page.status);
            }
            Ok(())
        }
    }
}

/// Parses `--listen`: an IP address and port, or a host name and port such
/// as `localhost:3000`, which resolves to its first address.
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    let invalid = || {
        format!(
            "expected ADDRESS:PORT, such as 127.0.0.1:3000, [::1]:3000 or localhost:3000; got {text:?}"
        )
    };
    if !text.contains(':') {
        return Err(invalid());
    }
    std::net::ToSocketAddrs::to_socket_addrs(text)
        .map_err(|error| format!("failed to resolve {text:?}: {error}"))?
        .next()
        .ok_or_else(invalid)
}

fn load_config(app_dir: &Path) -> anyhow::Result<AppConfig> {
    Ok(AppConfig::load(app_dir)?)
}

/// Builds the server options from the app's `[sessions]` table, its
/// `allowed-origins` and its server key.
fn server_options(config: &AppConfig) -> anyhow::Result<ServerOptions> {
    let sessions = config.sessions;
    if let Some(origin) = config
        .allowed_origins
        .iter()
        .find(|origin| !trellis_server::is_valid_origin(origin))
    {
        bail!(
            "invalid entry {origin:?} in `allowed-origins`: write an origin as browsers send it, such as \"https://app.example\" or \"http://localhost:8080\", with no path"
        );
    }
    Ok(ServerOptions {
        secure_cookies: sessions.secure_cookies,
        unclaimed_session_ttl: Duration::from_secs(sessions.unclaimed_ttl_secs),
        max_unclaimed_sessions: sessions.max_unclaimed,
        reconnect_grace: Duration::from_secs(sessions.reconnect_grace_secs),
        session_max_age: Duration::from_secs(sessions.max_age_secs),
        server_key: server_key(config)?,
        allowed_origins: config.allowed_origins.clone(),
        ..ServerOptions::default()
    })
}

/// Loads the server key from the `TRELLIS_SERVER_KEY` environment variable,
/// else from the app's `server-key-file`, else from `.trellis/server-key` in
/// the app directory, creating that file on first start so that restarts
/// and other server processes of the app share the key.
fn server_key(config: &AppConfig) -> anyhow::Result<ServerKey> {
    if let Ok(text) = std::env::var(SERVER_KEY_ENV) {
        return ServerKey::from_hex(&text).with_context(|| format!("invalid {SERVER_KEY_ENV}"));
    }
    if let Some(file) = &config.server_key_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("failed to read the server key file {}", file.display()))?;
        return ServerKey::from_hex(&text)
            .with_context(|| format!("invalid server key in {}", file.display()));
    }
    let file = config.dir.join(".trellis").join("server-key");
    let (key, created) = ServerKey::load_or_create(&file)?;
    if created {
        tracing::info!(file = %file.display(), "generated a new server key");
    }
    Ok(key)
}

fn runtime_options(config: &AppConfig, args: &RuntimeArgs) -> RuntimeOptions {
    RuntimeOptions {
        limits: config.limits,
        max_instances: Some(args.max_instances),
        cache_dir: Some(trellis_runtime::cache_dir(&config.dir.join(".trellis"))),
    }
}

fn load_runtime(
    config: &AppConfig,
    args: &RuntimeArgs,
    options: RuntimeOptions,
) -> anyhow::Result<Runtime> {
    let build_options = BuildOptions::for_app(config);
    let routes: Vec<BuiltRoute> = if args.no_build {
        trellis_build::resolve_components(config, &build_options)?
    } else {
        trellis_build::build_app(config, &build_options)?
    };
    let specs = routes
        .into_iter()
        .map(|route| RouteSpec {
            pattern: route.pattern,
            component: route.component,
        })
        .collect();
    Ok(Runtime::load(specs, options)?)
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

async fn serve(app: Arc<App>, listen: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("failed to listen on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!("listening on http://{address}");
    trellis_server::serve(app, listener, shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("received Ctrl-C; shutting down"),
        () = terminate => tracing::info!("received SIGTERM; shutting down"),
    }
}
