//! Parsing and checking of `trellis.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::router::{PatternError, RoutePattern};

/// The name of the configuration file at the top of an app directory.
pub const CONFIG_FILE: &str = "trellis.toml";

/// A loaded and checked `trellis.toml`.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The app directory: the folder that contains `trellis.toml`.
    pub dir: PathBuf,
    /// The page title, `Trellis` when unset.
    pub title: String,
    /// The routes in file order.
    pub routes: Vec<RouteConfig>,
    /// Resource limits for guest calls.
    pub limits: Limits,
    /// Lifetimes of user and render sessions.
    pub sessions: Sessions,
    /// The file that contains the server key (absolute), when set.
    pub server_key_file: Option<PathBuf>,
    /// Origins, besides the server's own, whose pages may open a Socket.IO
    /// connection, from the top-level `allowed-origins` key.
    pub allowed_origins: Vec<String>,
}

/// Lifetimes of sessions, from the `[sessions]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Sessions {
    /// Seconds a user session lives without any connected tab.
    pub unclaimed_ttl_secs: u64,
    /// Most user sessions without a connected tab kept at once.
    pub max_unclaimed: usize,
    /// Seconds a tab's render session waits for a dropped connection to
    /// come back.
    pub reconnect_grace_secs: u64,
    /// Seconds a session cookie stays valid.
    pub max_age_secs: u64,
    /// Whether the session cookie is marked `Secure` (HTTPS only).
    pub secure_cookies: bool,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            unclaimed_ttl_secs: 60,
            max_unclaimed: 100_000,
            reconnect_grace_secs: 30,
            max_age_secs: 7 * 24 * 3600,
            secure_cookies: false,
        }
    }
}

/// One route: a path pattern and the guest that renders it.
#[derive(Clone, Debug)]
pub struct RouteConfig {
    /// The path pattern, such as `/items/:id`.
    pub pattern: RoutePattern,
    /// The source of the route's component.
    pub source: RouteSource,
}

/// The source of a route's component: a crate to build or a built file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteSource {
    /// A guest crate directory (absolute), built by `trellis build`.
    Crate(PathBuf),
    /// A built component file (absolute).
    Component(PathBuf),
}

/// Resource limits for guest calls, from the `[limits]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Limits {
    /// Maximum linear memory of one guest instance, in MiB.
    pub memory_mib: u32,
    /// CPU deadline of one guest call (a prerender, a mount or an event), in
    /// milliseconds.
    pub cpu_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // 64 MiB fits a large route's VDOM many times over while keeping a
        // runaway allocation cheap; one second is far above a normal render
        // (tens of microseconds) yet short enough that a looping guest is
        // noticed quickly.
        Self {
            memory_mib: 64,
            cpu_ms: 1000,
        }
    }
}

/// The error returned when `trellis.toml` cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: toml::de::Error,
    },
    /// A route's path pattern is invalid.
    #[error("invalid route path in {file}")]
    Pattern {
        /// The file.
        file: PathBuf,
        /// The parse error.
        #[source]
        source: PatternError,
    },
    /// A route names neither or both of `crate` and `component`.
    #[error("route {path} in {file} must set exactly one of `crate` and `component`")]
    Source {
        /// The file.
        file: PathBuf,
        /// The route's path pattern.
        path: String,
    },
    /// Two routes have the same pattern.
    #[error("route {path} appears twice in {file}")]
    Duplicate {
        /// The file.
        file: PathBuf,
        /// The repeated path pattern.
        path: String,
    },
    /// The file defines no route.
    #[error("{file} defines no route: add a [[routes]] table")]
    NoRoutes {
        /// The file.
        file: PathBuf,
    },
    /// A route's guest crate directory has no `Cargo.toml`.
    #[error("route {path} in {file} names crate directory {crate_dir}, which has no Cargo.toml")]
    MissingCrate {
        /// The file.
        file: PathBuf,
        /// The route's path pattern.
        path: String,
        /// The crate directory as resolved.
        crate_dir: PathBuf,
    },
    /// A limit is zero.
    #[error("limit `{name}` in {file} must be greater than zero")]
    ZeroLimit {
        /// The file.
        file: PathBuf,
        /// The limit's key.
        name: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    sessions: Sessions,
    #[serde(rename = "server-key-file")]
    server_key_file: Option<PathBuf>,
    #[serde(rename = "allowed-origins", default)]
    allowed_origins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    path: String,
    #[serde(rename = "crate")]
    crate_dir: Option<PathBuf>,
    component: Option<PathBuf>,
}

impl AppConfig {
    /// Loads `trellis.toml` from the app directory `dir`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError`] when the file is missing or unreadable, is not
    /// valid TOML of the documented shape, defines invalid, duplicate or no
    /// routes, or names a crate directory without a `Cargo.toml`.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let file = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
            path: file.clone(),
            source,
        })?;
        let config = Self::parse(dir, &text)?;
        for route in &config.routes {
            if let RouteSource::Crate(crate_dir) = &route.source
                && !crate_dir.join("Cargo.toml").is_file()
            {
                return Err(ConfigError::MissingCrate {
                    file,
                    path: route.pattern.as_str().to_string(),
                    crate_dir: crate_dir.clone(),
                });
            }
        }
        Ok(config)
    }

    /// Parses the text of a `trellis.toml` that lives in `dir`.
    ///
    /// # Errors
    ///
    /// As [`AppConfig::load`], except for reading.
    pub fn parse(dir: &Path, text: &str) -> Result<Self, ConfigError> {
        let file = dir.join(CONFIG_FILE);
        let raw: RawConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: file.clone(),
            source,
        })?;
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());

        let mut routes: Vec<RouteConfig> = Vec::with_capacity(raw.routes.len());
        for route in raw.routes {
            let pattern =
                RoutePattern::parse(&route.path).map_err(|source| ConfigError::Pattern {
                    file: file.clone(),
                    source,
                })?;
            let source = match (route.crate_dir, route.component) {
                (Some(crate_dir), None) => RouteSource::Crate(dir.join(crate_dir)),
                (None, Some(component)) => RouteSource::Component(dir.join(component)),
                _ => {
                    return Err(ConfigError::Source {
                        file,
                        path: route.path,
                    });
                }
            };
            if routes
                .iter()
                .any(|existing| existing.pattern.as_str() == pattern.as_str())
            {
                return Err(ConfigError::Duplicate {
                    file,
                    path: route.path,
                });
            }
            routes.push(RouteConfig { pattern, source });
        }
        if routes.is_empty() {
            return Err(ConfigError::NoRoutes { file });
        }
        for (name, value) in [
            ("memory-mib", raw.limits.memory_mib),
            ("cpu-ms", raw.limits.cpu_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit { file, name });
            }
        }

        let server_key_file = raw.server_key_file.map(|file| dir.join(file));
        Ok(Self {
            dir,
            server_key_file,
            title: raw.title.unwrap_or_else(|| "Trellis".to_string()),
            routes,
            limits: raw.limits,
            sessions: raw.sessions,
            allowed_origins: raw.allowed_origins,
        })
    }

    /// Returns the guest crate directories of the app, without repeats, in
    /// route order.
    pub fn crate_dirs(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = Vec::new();
        for route in &self.routes {
            if let RouteSource::Crate(dir) = &route.source
                && !dirs.contains(&dir.as_path())
            {
                dirs.push(dir);
            }
        }
        dirs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_routes_and_limits() {
        let text = r#"
            title = "Todo"
            [[routes]]
            path = "/"
            crate = "list"
            [[routes]]
            path = "/items/:id"
            component = "item.wasm"
            [limits]
            memory-mib = 8
        "#;

        let config = AppConfig::parse(Path::new("/app"), text).unwrap();

        assert_eq!(config.title, "Todo");
        assert_eq!(config.routes.len(), 2);
        assert_eq!(
            config.routes[0].source,
            RouteSource::Crate("/app/list".into())
        );
        assert_eq!(
            config.routes[1].source,
            RouteSource::Component("/app/item.wasm".into())
        );
        assert_eq!(config.limits.memory_mib, 8);
        assert_eq!(config.limits.cpu_ms, Limits::default().cpu_ms);
    }

    #[test]
    fn rejects_route_with_both_sources() {
        let text = "[[routes]]\npath = \"/\"\ncrate = \".\"\ncomponent = \"x.wasm\"\n";

        let error = AppConfig::parse(Path::new("/app"), text).unwrap_err();

        assert!(matches!(error, ConfigError::Source { .. }), "{error}");
    }

    #[test]
    fn rejects_duplicate_route() {
        let text =
            "[[routes]]\npath = \"/a\"\ncrate = \".\"\n[[routes]]\npath = \"/a\"\ncrate = \"b\"\n";

        let error = AppConfig::parse(Path::new("/app"), text).unwrap_err();

        assert!(matches!(error, ConfigError::Duplicate { .. }), "{error}");
    }

    #[test]
    fn rejects_unknown_key() {
        let text = "[[routes]]\npath = \"/\"\ncrate = \".\"\n[limits]\nmemory = 3\n";

        let error = AppConfig::parse(Path::new("/app"), text).unwrap_err();

        assert!(matches!(error, ConfigError::Parse { .. }), "{error}");
    }

    #[test]
    fn parse_allowed_origins() {
        let text = "allowed-origins = [\"https://app.example\"]\n[[routes]]\npath = \"/\"\ncrate = \".\"\n";

        let config = AppConfig::parse(Path::new("/app"), text).unwrap();

        assert_eq!(config.allowed_origins, ["https://app.example"]);
    }

    #[test]
    fn rejects_no_routes() {
        let error = AppConfig::parse(Path::new("/app"), "title = \"x\"\n").unwrap_err();

        assert!(matches!(error, ConfigError::NoRoutes { .. }), "{error}");
    }

    #[test]
    fn load_rejects_missing_crate_dir() {
        let dir = std::env::temp_dir().join(format!("trellis-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(CONFIG_FILE),
            "[[routes]]\npath = \"/items/:id\"\ncrate = \"itme\"\n",
        )
        .unwrap();

        let error = AppConfig::load(&dir).unwrap_err();

        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(error, ConfigError::MissingCrate { .. }), "{error}");
        assert!(error.to_string().contains("/items/:id"), "{error}");
    }

    #[test]
    fn rejects_zero_limit() {
        let text = "[[routes]]\npath = \"/\"\ncrate = \".\"\n[limits]\ncpu-ms = 0\n";

        let error = AppConfig::parse(Path::new("/app"), text).unwrap_err();

        assert!(
            matches!(error, ConfigError::ZeroLimit { name: "cpu-ms", .. }),
            "{error}"
        );
    }
}
