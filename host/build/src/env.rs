//! The environment that toolchain detection looks at and that guest builds
//! run in.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Variables that an outer `cargo run`, `cargo test` or rustup proxy sets for
/// its own build and that would redirect or break a guest build if the guest
/// `cargo` inherited them.
const REMOVED_VARS: &[&str] = &[
    "CARGO",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_BOOTSTRAP",
    "RUSTUP_TOOLCHAIN",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
];

/// `CARGO_*` variables that carry the user's own settings (where cargo keeps
/// its caches, how it reaches the network, how it prints) rather than the
/// state of an outer build, so guest builds keep them.
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_TERM_",
    "CARGO_LOG",
];

/// An environment for toolchain detection and guest builds: the variables
/// child processes get and the root under which the fixed Debian paths
/// (`/usr/bin/rustc`, `/usr/lib/llvm-N/bin`, ...) are looked up.
///
/// [`DetectEnv::from_process`] takes both from the running process. Tests
/// build one with [`DetectEnv::new`] to simulate a machine without a
/// toolchain, without changing the process environment.
#[derive(Clone, Debug)]
pub struct DetectEnv {
    vars: BTreeMap<OsString, OsString>,
    system_root: PathBuf,
}

impl DetectEnv {
    /// Creates an environment from the current process's variables, with
    /// system paths under `/`.
    pub fn from_process() -> Self {
        Self::new(std::env::vars_os(), "/")
    }

    /// Creates an environment from the given variables, with the fixed system
    /// paths looked up under `system_root` instead of `/`.
    pub fn new<K, V>(
        vars: impl IntoIterator<Item = (K, V)>,
        system_root: impl Into<PathBuf>,
    ) -> Self
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            system_root: system_root.into(),
        }
    }

    /// Sets a variable, replacing any earlier value.
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Returns the value of a variable.
    pub fn var(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// Returns all variables, for `Command::envs` after `Command::env_clear`.
    pub(crate) fn vars(&self) -> &BTreeMap<OsString, OsString> {
        &self.vars
    }

    /// Maps an absolute system path such as `/usr/bin/rustc` under the
    /// system root.
    pub(crate) fn system_path(&self, path: &str) -> PathBuf {
        self.system_root.join(path.trim_start_matches('/'))
    }

    /// Returns the directories of `PATH` in order.
    pub(crate) fn path_dirs(&self) -> Vec<PathBuf> {
        self.var("PATH")
            .map(|path| std::env::split_paths(path).collect())
            .unwrap_or_default()
    }

    /// Returns cargo's home: `CARGO_HOME`, else `$HOME/.cargo`.
    pub(crate) fn cargo_home(&self) -> Option<PathBuf> {
        if let Some(home) = self.var("CARGO_HOME").filter(|home| !home.is_empty()) {
            return Some(PathBuf::from(home));
        }
        self.var("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| Path::new(home).join(".cargo"))
    }

    /// Returns rustup's home: `RUSTUP_HOME`, else `$HOME/.rustup`.
    fn rustup_home(&self) -> Option<PathBuf> {
        if let Some(home) = self.var("RUSTUP_HOME").filter(|home| !home.is_empty()) {
            return Some(PathBuf::from(home));
        }
        self.var("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| Path::new(home).join(".rustup"))
    }

    /// Finds an executable file named `name` in `PATH`, then in cargo's
    /// `bin` directory, where `cargo install` puts programs even when that
    /// directory is not on `PATH`.
    pub(crate) fn find_program(&self, name: &str) -> Option<PathBuf> {
        let cargo_bin = self.cargo_home().map(|home| home.join("bin"));
        self.path_dirs()
            .into_iter()
            .chain(cargo_bin)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }

    /// Returns a copy without the variables of an outer cargo build or rustup
    /// proxy (see [`REMOVED_VARS`]), so that the guest `cargo` sees only the
    /// user's own settings plus what the toolchain adds.
    ///
    /// `LD_LIBRARY_PATH` loses the entries under rustup's home, which
    /// `cargo run` and `cargo test` add for the host toolchain's libraries
    /// and which must not shadow the libraries of Debian's `rustc`.
    pub(crate) fn scrubbed(&self) -> Self {
        let rustup_home = self.rustup_home();
        let mut vars = BTreeMap::new();
        for (name, value) in &self.vars {
            let Some(text) = name.to_str() else {
                vars.insert(name.clone(), value.clone());
                continue;
            };
            if is_outer_build_var(text) {
                continue;
            }
            if text == "LD_LIBRARY_PATH"
                && let Some(rustup_home) = &rustup_home
            {
                let kept: Vec<PathBuf> = std::env::split_paths(value)
                    .filter(|dir| !dir.starts_with(rustup_home))
                    .collect();
                if let Ok(joined) = std::env::join_paths(kept)
                    && !joined.is_empty()
                {
                    vars.insert(name.clone(), joined);
                }
                continue;
            }
            vars.insert(name.clone(), value.clone());
        }
        Self {
            vars,
            system_root: self.system_root.clone(),
        }
    }

    /// Puts `dir` in front of `PATH`.
    pub(crate) fn prepend_path(&mut self, dir: &Path) {
        let mut dirs = vec![dir.to_path_buf()];
        dirs.extend(self.path_dirs());
        if let Ok(joined) = std::env::join_paths(dirs) {
            self.vars.insert("PATH".into(), joined);
        }
    }
}

/// Reports whether a variable belongs to an outer build rather than to the
/// user: the fixed names of [`REMOVED_VARS`], cargo's internal `__CARGO_*`,
/// and every `CARGO_*` except the prefixes in [`KEPT_CARGO_PREFIXES`]. That
/// covers `CARGO_TARGET_DIR`, `CARGO_ENCODED_RUSTFLAGS`, `CARGO_BUILD_*`,
/// `CARGO_MAKEFLAGS`, `CARGO_PKG_*` and `CARGO_MANIFEST_*`.
fn is_outer_build_var(name: &str) -> bool {
    if REMOVED_VARS.contains(&name) || name.starts_with("__CARGO") {
        return true;
    }
    name.starts_with("CARGO_")
        && !KEPT_CARGO_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_outer_build_vars() {
        let env = DetectEnv::new(
            [
                ("CARGO", "/home/u/.rustup/toolchains/stable/bin/cargo"),
                ("CARGO_TARGET_DIR", "/tmp/t"),
                ("CARGO_ENCODED_RUSTFLAGS", "-Cfoo"),
                ("CARGO_BUILD_TARGET", "x86_64-unknown-linux-gnu"),
                ("CARGO_MAKEFLAGS", "-j --jobserver-fds=3,4"),
                ("CARGO_PKG_NAME", "trellis-build"),
                ("CARGO_MANIFEST_DIR", "/work/host/build"),
                ("__CARGO_FIX_PLZ", "1"),
                ("RUSTC", "/x/rustc"),
                ("RUSTUP_TOOLCHAIN", "stable"),
                ("RUSTFLAGS", "-Cbar"),
            ],
            "/",
        );

        let scrubbed = env.scrubbed();

        assert_eq!(scrubbed.vars().len(), 0, "{:?}", scrubbed.vars());
    }

    #[test]
    fn scrub_keeps_user_settings() {
        let env = DetectEnv::new(
            [
                ("HOME", "/home/u"),
                ("PATH", "/usr/bin"),
                ("CARGO_HOME", "/home/u/.cargo"),
                ("CARGO_NET_OFFLINE", "true"),
                ("CARGO_HTTP_TIMEOUT", "60"),
                ("CARGO_TERM_COLOR", "always"),
            ],
            "/",
        );

        let scrubbed = env.scrubbed();

        assert_eq!(scrubbed.vars(), env.vars());
    }

    #[test]
    fn scrub_drops_rustup_library_dirs() {
        let env = DetectEnv::new(
            [
                ("HOME", "/home/u"),
                (
                    "LD_LIBRARY_PATH",
                    "/work/target/debug/deps:/home/u/.rustup/toolchains/stable/lib",
                ),
            ],
            "/",
        );

        let scrubbed = env.scrubbed();

        assert_eq!(
            scrubbed.var("LD_LIBRARY_PATH"),
            Some(OsStr::new("/work/target/debug/deps"))
        );
    }

    #[test]
    fn cargo_home_falls_back_to_home() {
        let env = DetectEnv::new([("HOME", "/home/u")], "/");

        assert_eq!(env.cargo_home(), Some(PathBuf::from("/home/u/.cargo")));
    }

    #[test]
    fn system_path_is_under_root() {
        let env = DetectEnv::new(Vec::<(String, String)>::new(), "/tmp/root");

        assert_eq!(
            env.system_path("/usr/bin/rustc"),
            PathBuf::from("/tmp/root/usr/bin/rustc")
        );
    }
}
