//! Building an app's guest crates and mapping its routes to component files.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use trellis_app::{AppConfig, RoutePattern, RouteSource};

use crate::artifact::{self, ManifestError, WasmKind};
use crate::env::DetectEnv;
use crate::toolchain::{Toolchain, ToolchainError};

/// The environment variable that overrides the guest target directory, so
/// that several apps share one build of std and of their dependencies.
pub const TARGET_DIR_VAR: &str = "TRELLIS_TARGET_DIR";

/// Settings of a guest build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Cargo's target directory for the guest builds (absolute).
    pub target_dir: PathBuf,
}

impl BuildOptions {
    /// Returns the options for `config` in the current process environment:
    /// the target directory is `TRELLIS_TARGET_DIR` when set and not empty,
    /// else `target` in the app directory.
    pub fn for_app(config: &AppConfig) -> Self {
        Self::for_app_in(config, &DetectEnv::from_process())
    }

    /// As [`BuildOptions::for_app`], reading `TRELLIS_TARGET_DIR` from `env`.
    /// A relative value is taken relative to the current directory.
    pub fn for_app_in(config: &AppConfig, env: &DetectEnv) -> Self {
        let target_dir = match env.var(TARGET_DIR_VAR).filter(|dir| !dir.is_empty()) {
            Some(dir) => std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir)),
            None => config.dir.join("target"),
        };
        Self { target_dir }
    }
}

/// A route of an app with the component file that renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRoute {
    /// The route's path pattern.
    pub pattern: RoutePattern,
    /// The component file (absolute): the build output of the route's crate,
    /// or the file the route names.
    pub component: PathBuf,
}

/// The error returned when an app's guests cannot be built or their
/// components are missing.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No guest toolchain is installed.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// A guest crate's manifest is unreadable or unusable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Two crates of the app have the same artifact name, so their
    /// components would overwrite each other in the target directory.
    #[error("guest crates {first} and {second} both build {artifact}.wasm: rename one package")]
    DuplicateArtifact {
        /// The first crate directory.
        first: PathBuf,
        /// The second crate directory.
        second: PathBuf,
        /// The shared artifact name.
        artifact: String,
    },
    /// `cargo` could not be started.
    #[error("failed to start {program} to build guest crate {crate_dir}")]
    Spawn {
        /// The program.
        program: String,
        /// The crate directory.
        crate_dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `cargo build` failed; its messages went to standard error.
    #[error("cargo build of guest crate {crate_dir} failed ({status})")]
    Cargo {
        /// The crate directory.
        crate_dir: PathBuf,
        /// Cargo's exit status.
        status: ExitStatus,
    },
    /// A crate route's component has not been built, or was last built from
    /// another crate with the same artifact name.
    #[error(
        "component {path} of route {route} is not built from {crate_dir}: run `trellis build {app_dir}`"
    )]
    NotBuilt {
        /// The route's path pattern.
        route: String,
        /// The guest crate directory.
        crate_dir: PathBuf,
        /// The expected component file.
        path: PathBuf,
        /// The app directory.
        app_dir: PathBuf,
    },
    /// A route's `component` file does not exist.
    #[error("component file {path} of route {route} not found")]
    ComponentNotFound {
        /// The route's path pattern.
        route: String,
        /// The file.
        path: PathBuf,
    },
    /// A file exists but is not a component.
    #[error("{path} is {} and not a WebAssembly component", describe_kind(*.found))]
    NotComponent {
        /// The file.
        path: PathBuf,
        /// What the file's header says it is.
        found: WasmKind,
    },
    /// A component file could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn describe_kind(kind: WasmKind) -> &'static str {
    match kind {
        WasmKind::Component => "a component",
        WasmKind::CoreModule => "a core WebAssembly module",
        WasmKind::Other => "not WebAssembly",
    }
}

/// Builds every guest crate of the app with the detected toolchain and
/// returns each route, in config order, with its component file.
///
/// An app whose routes all name component files needs no toolchain. Cargo's
/// output goes to this process's standard error.
///
/// # Errors
///
/// Returns [`BuildError::Toolchain`] when the app has guest crates and no
/// toolchain is installed, and otherwise as [`build_app_with`].
pub fn build_app(
    config: &AppConfig,
    options: &BuildOptions,
) -> Result<Vec<BuiltRoute>, BuildError> {
    if config.crate_dirs().is_empty() {
        return resolve_components(config, options);
    }
    let toolchain = Toolchain::detect()?;
    build_app_with(&toolchain, config, options)
}

/// Builds every guest crate of the app with `toolchain`, one
/// `cargo build --release --target wasm32-wasip2 --manifest-path
/// CRATE/Cargo.toml` per crate, and returns each route, in config order,
/// with its component file.
///
/// Cargo decides what is stale, so building an unchanged crate again is
/// quick. Its progress and compiler messages go to this process's standard
/// error.
///
/// # Errors
///
/// Returns [`BuildError::Manifest`] or [`BuildError::DuplicateArtifact`]
/// before building when a crate's manifest is unusable,
/// [`BuildError::Spawn`] or [`BuildError::Cargo`] when cargo fails on a
/// crate, and the errors of [`resolve_components`] when a built file is
/// missing or not a component.
pub fn build_app_with(
    toolchain: &Toolchain,
    config: &AppConfig,
    options: &BuildOptions,
) -> Result<Vec<BuiltRoute>, BuildError> {
    let crates = artifact_names(config)?;

    for (crate_dir, _) in &crates {
        run_cargo(toolchain, crate_dir, &options.target_dir)?;
    }

    resolve_components(config, options)
}

/// Maps every route, in config order, to its component file without
/// building anything, for callers that run after `trellis build`.
///
/// # Errors
///
/// Returns [`BuildError::NotBuilt`] when a crate route's component is
/// missing or was built from another crate, [`BuildError::ComponentNotFound`]
/// when a `component` file is missing, [`BuildError::NotComponent`] when a
/// file is not a component, and [`BuildError::Manifest`] or
/// [`BuildError::DuplicateArtifact`] when a crate's manifest is unusable.
pub fn resolve_components(
    config: &AppConfig,
    options: &BuildOptions,
) -> Result<Vec<BuiltRoute>, BuildError> {
    let crates = artifact_names(config)?;

    let mut routes = Vec::with_capacity(config.routes.len());
    for route in &config.routes {
        let component = match &route.source {
            RouteSource::Crate(crate_dir) => {
                let name = crates
                    .iter()
                    .find(|(dir, _)| dir == crate_dir)
                    .map(|(_, name)| name.as_str())
                    .expect("artifact_names covers every crate route");
                let path = artifact::component_path(&options.target_dir, name);
                if !path.is_file() || !is_built_from(&path, crate_dir) {
                    return Err(BuildError::NotBuilt {
                        route: route.pattern.as_str().to_string(),
                        crate_dir: crate_dir.clone(),
                        path,
                        app_dir: config.dir.clone(),
                    });
                }
                path
            }
            RouteSource::Component(path) => {
                if !path.is_file() {
                    return Err(BuildError::ComponentNotFound {
                        route: route.pattern.as_str().to_string(),
                        path: path.clone(),
                    });
                }
                path.clone()
            }
        };
        check_component(&component)?;
        routes.push(BuiltRoute {
            pattern: route.pattern.clone(),
            component,
        });
    }
    Ok(routes)
}

/// Reads the artifact name of every guest crate of the app, in route order,
/// and rejects two crates with the same name.
fn artifact_names(config: &AppConfig) -> Result<Vec<(PathBuf, String)>, BuildError> {
    let mut crates: Vec<(PathBuf, String)> = Vec::new();
    for crate_dir in config.crate_dirs() {
        let name = artifact::read_artifact_name(crate_dir)?;
        if let Some((first, _)) = crates.iter().find(|(_, existing)| *existing == name) {
            return Err(BuildError::DuplicateArtifact {
                first: first.clone(),
                second: crate_dir.to_path_buf(),
                artifact: name,
            });
        }
        crates.push((crate_dir.to_path_buf(), name));
    }
    Ok(crates)
}

fn run_cargo(toolchain: &Toolchain, crate_dir: &Path, target_dir: &Path) -> Result<(), BuildError> {
    let mut command = toolchain.cargo_build();
    command
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(crate_dir)
        .stdin(Stdio::null())
        .stdout(stdout_to_stderr())
        .stderr(Stdio::inherit());

    tracing::info!(
        crate_dir = %crate_dir.display(),
        toolchain = %toolchain.kind(),
        target_dir = %target_dir.display(),
        "building guest crate"
    );
    let status = command.status().map_err(|source| BuildError::Spawn {
        program: command.get_program().to_string_lossy().into_owned(),
        crate_dir: crate_dir.to_path_buf(),
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Cargo {
            crate_dir: crate_dir.to_path_buf(),
            status,
        });
    }
    Ok(())
}

/// Returns a handle that sends the child's standard output to this process's
/// standard error, so that cargo's output never mixes into output of the
/// caller's own, such as HTML that `trellis prerender` writes to stdout.
#[cfg(unix)]
fn stdout_to_stderr() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::inherit(),
    }
}

#[cfg(not(unix))]
fn stdout_to_stderr() -> Stdio {
    Stdio::inherit()
}

/// Reports whether cargo last wrote `component` from a source file in
/// `crate_dir`, going by the dep-info file (`NAME.d`) cargo writes next to
/// it. Apps that share `TRELLIS_TARGET_DIR` can have crates with the same
/// artifact name, and then the file may come from the other app. Without a
/// dep-info file this returns true.
fn is_built_from(component: &Path, crate_dir: &Path) -> bool {
    let Ok(dep_info) = std::fs::read_to_string(component.with_extension("d")) else {
        return true;
    };
    let canonical_dir = crate_dir.canonicalize().ok();
    dep_info_sources(&dep_info).iter().any(|source| {
        source.starts_with(crate_dir)
            || canonical_dir
                .as_ref()
                .is_some_and(|dir| source.starts_with(dir))
    })
}

/// Returns the source paths of the first rule of a make-style dep-info
/// file, where a space inside a path is written as `\ `.
fn dep_info_sources(text: &str) -> Vec<PathBuf> {
    let Some(first_rule) = text.lines().find(|line| !line.trim().is_empty()) else {
        return Vec::new();
    };
    // The target path ends at the first ": " that is not escaped.
    let Some(colon) = first_rule.find(": ") else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    let mut current = String::new();
    let mut chars = first_rule[colon + 2..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    current.push(escaped);
                }
            }
            ' ' => {
                if !current.is_empty() {
                    sources.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        sources.push(PathBuf::from(current));
    }
    sources
}

fn check_component(path: &Path) -> Result<(), BuildError> {
    let kind = artifact::classify_file(path).map_err(|source| BuildError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if kind != WasmKind::Component {
        return Err(BuildError::NotComponent {
            path: path.to_path_buf(),
            found: kind,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_sources_unescape_spaces() {
        let text = "/t/x.wasm: /app/my\\ route/src/lib.rs /app/my\\ route/src/view.rs\n\n/app/my\\ route/src/lib.rs:\n";

        let sources = dep_info_sources(text);

        assert_eq!(
            sources,
            vec![
                PathBuf::from("/app/my route/src/lib.rs"),
                PathBuf::from("/app/my route/src/view.rs")
            ]
        );
    }

    #[test]
    fn dep_info_sources_of_empty_file() {
        assert!(dep_info_sources("").is_empty());
    }

    #[test]
    fn target_dir_defaults_to_app_target() {
        let config = AppConfig::parse(
            Path::new("/app"),
            "[[routes]]\npath = \"/\"\ncrate = \"list\"\n",
        )
        .unwrap();
        let env = DetectEnv::new([("HOME", "/home/u")], "/");

        let options = BuildOptions::for_app_in(&config, &env);

        assert_eq!(options.target_dir, PathBuf::from("/app/target"));
    }

    #[test]
    fn target_dir_from_variable() {
        let config = AppConfig::parse(
            Path::new("/app"),
            "[[routes]]\npath = \"/\"\ncrate = \"list\"\n",
        )
        .unwrap();
        let env = DetectEnv::new([(TARGET_DIR_VAR, "/shared/guests")], "/");

        let options = BuildOptions::for_app_in(&config, &env);

        assert_eq!(options.target_dir, PathBuf::from("/shared/guests"));
    }
}
