//! Detection of a toolchain that compiles guest crates to `wasm32-wasip2`
//! components.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env::DetectEnv;

/// The target triple that guests are compiled for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// The `wasm-component-ld` release that the Debian route was tested with and
/// that `scripts/setup-guest-toolchain` installs.
pub const WASM_COMPONENT_LD_VERSION: &str = "0.5.31";

/// A toolchain that builds guest crates, with the environment its `cargo`
/// runs in.
#[derive(Clone, Debug)]
pub struct Toolchain {
    kind: ToolchainKind,
    program: PathBuf,
    leading_args: Vec<OsString>,
    env: DetectEnv,
}

/// Which of the two supported routes a [`Toolchain`] takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolchainKind {
    /// A rustup toolchain with the `wasm32-wasip2` target installed, which
    /// ships its own std and linker for the target.
    Rustup {
        /// The toolchain name, such as `stable-x86_64-unknown-linux-gnu`.
        toolchain: String,
    },
    /// Debian's `rustc-web` and `cargo-web`, which rebuild std from
    /// `rust-web-src` (`-Zbuild-std`) and link with `wasm-component-ld`,
    /// `wasm-ld` from `lld-N` and Debian's `wasi-libc`.
    Debian {
        /// The `release` of `/usr/bin/rustc -vV`, such as `1.96.0`.
        rustc_version: String,
        /// The LLVM major version of that `rustc`.
        llvm_major: u32,
    },
}

impl fmt::Display for ToolchainKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rustup { toolchain } => write!(f, "rustup toolchain {toolchain}"),
            Self::Debian {
                rustc_version,
                llvm_major,
            } => write!(
                f,
                "Debian rustc {rustc_version} (LLVM {llvm_major}) with std built from source"
            ),
        }
    }
}

/// The error returned when no guest toolchain is usable. Its message lists
/// every missing piece and the commands that install them.
#[derive(Debug, thiserror::Error)]
#[error("{}", describe_problems(.problems))]
pub struct ToolchainError {
    /// What is missing or wrong, in the order it was checked.
    pub problems: Vec<ToolchainProblem>,
}

/// One reason why a toolchain route is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolchainProblem {
    /// rustup is installed but its active toolchain lacks the guest target.
    RustupTargetMissing {
        /// The active toolchain.
        toolchain: String,
    },
    /// A file of a Debian package is missing.
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
        /// The Debian package that provides it.
        package: String,
    },
    /// `wasm-component-ld` is neither on `PATH` nor in cargo's `bin`
    /// directory.
    MissingLinker,
    /// Debian's `rustc` and `rust-src` have different versions, so
    /// `-Zbuild-std` would fail or build a mismatched std.
    VersionMismatch {
        /// The `release` of `rustc -vV`.
        rustc: String,
        /// The version of the source tree under `/usr/lib/rustlib/src/rust`.
        rust_src: String,
    },
    /// A probe command failed or printed something unexpected.
    ProbeFailed {
        /// The command line.
        command: String,
        /// What went wrong.
        detail: String,
    },
}

impl fmt::Display for ToolchainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RustupTargetMissing { toolchain } => {
                write!(
                    f,
                    "rustup toolchain {toolchain} has no {GUEST_TARGET} target"
                )
            }
            Self::MissingFile { path, package } => {
                write!(f, "{} not found (Debian package {package})", path.display())
            }
            Self::MissingLinker => write!(
                f,
                "wasm-component-ld not found on PATH or in ~/.cargo/bin \
                 (install it with `cargo install --locked wasm-component-ld@{WASM_COMPONENT_LD_VERSION}`)"
            ),
            Self::VersionMismatch { rustc, rust_src } => write!(
                f,
                "/usr/bin/rustc is version {rustc} but the std source under \
                 /usr/lib/rustlib/src/rust is version {rust_src} \
                 (install rustc-web and rust-web-src of the same version in one apt-get call)"
            ),
            Self::ProbeFailed { command, detail } => write!(f, "`{command}` failed: {detail}"),
        }
    }
}

fn describe_problems(problems: &[ToolchainProblem]) -> String {
    let mut text = format!("no toolchain found that builds {GUEST_TARGET} guests:");
    for problem in problems {
        text.push_str("\n  - ");
        text.push_str(&problem.to_string());
    }
    text.push_str(&format!(
        "\nto install one, run scripts/setup-guest-toolchain from the Trellis repository. \
         It runs `apt-get install --no-install-recommends rustc-web cargo-web rust-web-src lld-N wasi-libc`, \
         where N is the LLVM major version of `/usr/bin/rustc -vV`, \
         and `cargo install --locked wasm-component-ld@{WASM_COMPONENT_LD_VERSION}`. \
         With rustup, `rustup target add {GUEST_TARGET}` is enough"
    ));
    text
}

impl Toolchain {
    /// Finds a guest toolchain using the current process's environment.
    ///
    /// # Errors
    ///
    /// As [`Toolchain::detect_in`].
    pub fn detect() -> Result<Self, ToolchainError> {
        Self::detect_in(&DetectEnv::from_process())
    }

    /// Finds a guest toolchain in `env`. It prefers rustup's active toolchain
    /// when that has the `wasm32-wasip2` target, else takes the Debian route.
    ///
    /// An outer `RUSTUP_TOOLCHAIN` (set when this runs under `cargo +nightly`
    /// or a rustup proxy) is ignored: the rustup route uses the toolchain
    /// that `rustup show active-toolchain` picks without it.
    ///
    /// # Errors
    ///
    /// Returns [`ToolchainError`] listing every missing piece when neither
    /// route is usable.
    pub fn detect_in(env: &DetectEnv) -> Result<Self, ToolchainError> {
        let env = env.scrubbed();
        let mut problems = Vec::new();

        match detect_rustup(&env) {
            Ok(Some(toolchain)) => return Ok(toolchain),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
        match detect_debian(&env) {
            Ok(toolchain) => Ok(toolchain),
            Err(debian_problems) => {
                problems.extend(debian_problems);
                Err(ToolchainError { problems })
            }
        }
    }

    /// Returns which route this toolchain takes.
    pub fn kind(&self) -> &ToolchainKind {
        &self.kind
    }

    /// Returns a `cargo build --release --target wasm32-wasip2` command with
    /// this toolchain's program, flags and environment. The caller adds the
    /// manifest path, target directory and working directory.
    pub(crate) fn cargo_build(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.leading_args)
            .args(["build", "--release", "--target", GUEST_TARGET])
            .env_clear()
            .envs(self.env.vars());
        command
    }
}

/// Checks the rustup route. Returns `Ok(None)` when rustup is not installed,
/// and a problem when it is but the active toolchain lacks the target.
///
/// NOTE: the tests run this route only against a fake `rustup` script; no
/// build through a real rustup `wasm32-wasip2` target has been run.
fn detect_rustup(env: &DetectEnv) -> Result<Option<Toolchain>, ToolchainProblem> {
    let Some(rustup) = env.find_program("rustup") else {
        return Ok(None);
    };

    let active = run_probe(env, &rustup, &["show", "active-toolchain"])?;
    let Some(toolchain) = active.split_whitespace().next() else {
        return Err(ToolchainProblem::ProbeFailed {
            command: format!("{} show active-toolchain", rustup.display()),
            detail: "no toolchain name in its output".to_string(),
        });
    };
    let targets = run_probe(
        env,
        &rustup,
        &["target", "list", "--installed", "--toolchain", toolchain],
    )?;
    if !targets.lines().any(|line| line.trim() == GUEST_TARGET) {
        return Err(ToolchainProblem::RustupTargetMissing {
            toolchain: toolchain.to_string(),
        });
    }

    Ok(Some(Toolchain {
        kind: ToolchainKind::Rustup {
            toolchain: toolchain.to_string(),
        },
        program: rustup,
        leading_args: ["run", toolchain, "cargo"].map(OsString::from).to_vec(),
        env: env.clone(),
    }))
}

/// Checks every piece of the Debian route and returns all that are missing.
fn detect_debian(env: &DetectEnv) -> Result<Toolchain, Vec<ToolchainProblem>> {
    let mut problems = Vec::new();
    let mut require = |path: PathBuf, package: &str| {
        let found = path.exists();
        if !found {
            problems.push(ToolchainProblem::MissingFile {
                path,
                package: package.to_string(),
            });
        }
        found
    };

    let cargo = env.system_path("/usr/bin/cargo");
    let rustc = env.system_path("/usr/bin/rustc");
    let rust_src = env.system_path("/usr/lib/rustlib/src/rust");
    let wasi_libc = env.system_path("/usr/lib/wasm32-wasi");
    require(cargo.clone(), "cargo-web");
    let have_rustc = require(rustc.clone(), "rustc-web");
    let have_src = require(rust_src.join("src/version"), "rust-web-src");
    require(wasi_libc.join("libc.a"), "wasi-libc");

    let mut rustc_info = None;
    if have_rustc {
        match run_probe(env, &rustc, &["-vV"]).and_then(|text| parse_rustc_info(&rustc, &text)) {
            Ok(info) => rustc_info = Some(info),
            Err(problem) => problems.push(problem),
        }
    }

    let mut linker_path_dir = None;
    if let Some(info) = &rustc_info {
        if have_src {
            check_rust_src_version(&rust_src, &info.release, &mut problems);
        }
        match find_wasm_ld(env, info.llvm_major) {
            WasmLd::OnPath => {}
            WasmLd::InDir(dir) => linker_path_dir = Some(dir),
            WasmLd::Missing(path) => problems.push(ToolchainProblem::MissingFile {
                path,
                package: format!("lld-{}", info.llvm_major),
            }),
        }
    }

    let component_ld = env.find_program("wasm-component-ld");
    match &component_ld {
        Some(path) => warn_on_untested_linker(env, path),
        None => problems.push(ToolchainProblem::MissingLinker),
    }

    let (Some(info), Some(component_ld), true) = (rustc_info, component_ld, problems.is_empty())
    else {
        return Err(problems);
    };

    let mut child_env = env.clone();
    if let Some(dir) = &linker_path_dir {
        child_env.prepend_path(dir);
    }
    child_env.set("RUSTC", &rustc);
    child_env.set("RUSTC_BOOTSTRAP", "1");

    let linker = toml_string(&component_ld);
    let rustflags = format!(
        "[\"-C\", \"link-self-contained=no\", \"-L\", {}]",
        toml_string(&wasi_libc)
    );
    let leading_args: Vec<OsString> = vec![
        "-Zbuild-std=std,panic_abort".into(),
        "--config".into(),
        format!("target.{GUEST_TARGET}.linker = {linker}").into(),
        "--config".into(),
        format!("target.{GUEST_TARGET}.rustflags = {rustflags}").into(),
    ];

    Ok(Toolchain {
        kind: ToolchainKind::Debian {
            rustc_version: info.release,
            llvm_major: info.llvm_major,
        },
        program: cargo,
        leading_args,
        env: child_env,
    })
}

/// The facts of `rustc -vV` that detection uses.
#[derive(Debug, PartialEq, Eq)]
struct RustcInfo {
    release: String,
    llvm_major: u32,
}

fn parse_rustc_info(rustc: &Path, text: &str) -> Result<RustcInfo, ToolchainProblem> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
    };
    let problem = |detail: &str| ToolchainProblem::ProbeFailed {
        command: format!("{} -vV", rustc.display()),
        detail: detail.to_string(),
    };

    let release = field("release:").ok_or_else(|| problem("no `release:` line"))?;
    let llvm = field("LLVM version:").ok_or_else(|| problem("no `LLVM version:` line"))?;
    let llvm_major = llvm
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .ok_or_else(|| problem("invalid `LLVM version:` line"))?;
    Ok(RustcInfo {
        release: release.to_string(),
        llvm_major,
    })
}

fn check_rust_src_version(rust_src: &Path, release: &str, problems: &mut Vec<ToolchainProblem>) {
    let version_file = rust_src.join("src/version");
    match std::fs::read_to_string(&version_file) {
        Ok(text) if text.trim() == release => {}
        Ok(text) => problems.push(ToolchainProblem::VersionMismatch {
            rustc: release.to_string(),
            rust_src: text.trim().to_string(),
        }),
        Err(error) => problems.push(ToolchainProblem::ProbeFailed {
            command: format!("read {}", version_file.display()),
            detail: error.to_string(),
        }),
    }
}

enum WasmLd {
    OnPath,
    InDir(PathBuf),
    Missing(PathBuf),
}

/// Finds `wasm-ld`, which `wasm-component-ld` runs by that name: on `PATH`,
/// else in `/usr/lib/llvm-N/bin` of the `lld-N` package that matches the
/// LLVM of `rustc`.
fn find_wasm_ld(env: &DetectEnv, llvm_major: u32) -> WasmLd {
    let on_path = env
        .path_dirs()
        .iter()
        .any(|dir| dir.join("wasm-ld").is_file());
    if on_path {
        return WasmLd::OnPath;
    }
    let dir = env.system_path(&format!("/usr/lib/llvm-{llvm_major}/bin"));
    if dir.join("wasm-ld").is_file() {
        WasmLd::InDir(dir)
    } else {
        WasmLd::Missing(dir.join("wasm-ld"))
    }
}

/// Logs a warning when `wasm-component-ld` is not the tested release. Other
/// releases may work, so this does not fail detection.
fn warn_on_untested_linker(env: &DetectEnv, path: &Path) {
    match run_probe(env, path, &["--version"]) {
        Ok(text) if text.split_whitespace().nth(1) == Some(WASM_COMPONENT_LD_VERSION) => {}
        Ok(text) => tracing::warn!(
            linker = %path.display(),
            version = text.trim(),
            tested = WASM_COMPONENT_LD_VERSION,
            "wasm-component-ld is not the tested release"
        ),
        Err(problem) => {
            tracing::warn!(linker = %path.display(), %problem, "wasm-component-ld probe failed")
        }
    }
}

/// Runs a short probe command in `env` and returns its standard output.
fn run_probe(env: &DetectEnv, program: &Path, args: &[&str]) -> Result<String, ToolchainProblem> {
    let command_line = || {
        let mut line = program.display().to_string();
        for arg in args {
            line.push(' ');
            line.push_str(arg);
        }
        line
    };
    let output = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.vars())
        .output()
        .map_err(|error| ToolchainProblem::ProbeFailed {
            command: command_line(),
            detail: error.to_string(),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ToolchainProblem::ProbeFailed {
            command: command_line(),
            detail: format!("{}: {}", output.status, stderr.trim()),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Quotes a path as a TOML basic string for a `--config` value.
fn toml_string(path: &Path) -> String {
    toml::Value::String(path.to_string_lossy().into_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSTC_VV: &str = "rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)\n\
        binary: rustc\n\
        commit-hash: ac68faa20c58cbccd01ee7208bf3b6e93a7d7f96\n\
        host: x86_64-unknown-linux-gnu\n\
        release: 1.96.0\n\
        LLVM version: 22.1.8\n";

    #[test]
    fn parse_rustc_release_and_llvm() {
        let info = parse_rustc_info(Path::new("/usr/bin/rustc"), RUSTC_VV).unwrap();

        assert_eq!(info.release, "1.96.0");
        assert_eq!(info.llvm_major, 22);
    }

    #[test]
    fn parse_rustc_without_llvm_line() {
        let text = "release: 1.96.0\n";

        let problem = parse_rustc_info(Path::new("/usr/bin/rustc"), text).unwrap_err();

        assert!(
            matches!(problem, ToolchainProblem::ProbeFailed { .. }),
            "{problem}"
        );
    }

    #[test]
    fn toml_string_round_trips() {
        let path = "/a 'b' \"c\"/d";

        let text = format!("value = {}", toml_string(Path::new(path)));
        let parsed: toml::Table = toml::from_str(&text).unwrap();

        assert_eq!(parsed["value"].as_str(), Some(path), "{text}");
    }

    #[test]
    fn error_names_fix_commands() {
        let error = ToolchainError {
            problems: vec![ToolchainProblem::MissingLinker],
        };

        let message = error.to_string();

        assert!(
            message.contains("scripts/setup-guest-toolchain"),
            "{message}"
        );
        assert!(
            message.contains("cargo install --locked wasm-component-ld@0.5.31"),
            "{message}"
        );
        assert!(
            message.contains("rustup target add wasm32-wasip2"),
            "{message}"
        );
    }
}
