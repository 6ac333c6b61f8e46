//! Guest crate manifests, the paths of the components cargo writes for them,
//! and the check that a file is a component.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::toolchain::GUEST_TARGET;

/// The first eight bytes of a WebAssembly component: the `\0asm` magic, then
/// version 0x0d and layer 1 (component model), as `wasm-component-ld` 0.5.31
/// writes them.
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/// The first eight bytes of a core WebAssembly module: the magic, then
/// version 1 and layer 0.
const CORE_MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmKind {
    /// A WebAssembly component.
    Component,
    /// A core WebAssembly module, such as a cdylib linked with plain
    /// `wasm-ld`.
    CoreModule,
    /// Neither: a file too short, without the `\0asm` magic, or of another
    /// version.
    Other,
}

/// Classifies bytes by their WebAssembly header.
pub fn classify_header(bytes: &[u8]) -> WasmKind {
    match bytes.get(..8) {
        Some(header) if header == COMPONENT_HEADER => WasmKind::Component,
        Some(header) if header == CORE_MODULE_HEADER => WasmKind::CoreModule,
        _ => WasmKind::Other,
    }
}

/// Reads the header of the file at `path` and classifies it.
pub(crate) fn classify_file(path: &Path) -> std::io::Result<WasmKind> {
    let mut header = Vec::with_capacity(8);
    std::fs::File::open(path)?
        .take(8)
        .read_to_end(&mut header)?;
    Ok(classify_header(&header))
}

/// The error returned when a guest crate's `Cargo.toml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The manifest.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has no `[package] name`.
    #[error("invalid {path}")]
    Parse {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: toml::de::Error,
    },
    /// The crate's library is not a `cdylib`, so cargo writes no `.wasm`.
    #[error("{path} does not build a cdylib: set `crate-type = [\"cdylib\"]` in its [lib] table")]
    NotCdylib {
        /// The manifest.
        path: PathBuf,
    },
}

#[derive(Deserialize)]
struct Manifest {
    package: Package,
    lib: Option<Lib>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
}

#[derive(Deserialize)]
struct Lib {
    name: Option<String>,
    #[serde(rename = "crate-type")]
    crate_type: Option<Vec<String>>,
}

/// Returns the artifact file stem of the guest crate whose manifest text is
/// `text`: the `[lib] name` when set, else the package name with `-` turned
/// into `_`, as cargo names library outputs.
///
/// # Errors
///
/// Returns [`ManifestError::Parse`] when the text is not a manifest with a
/// package name, and [`ManifestError::NotCdylib`] when the library has no
/// `cdylib` crate type.
pub(crate) fn parse_artifact_name(path: &Path, text: &str) -> Result<String, ManifestError> {
    let manifest: Manifest = toml::from_str(text).map_err(|source| ManifestError::Parse {
        path: path.to_path_buf(),
        source,
    })?;

    let crate_types = manifest
        .lib
        .as_ref()
        .and_then(|lib| lib.crate_type.as_ref());
    if !crate_types.is_some_and(|types| types.iter().any(|kind| kind == "cdylib")) {
        return Err(ManifestError::NotCdylib {
            path: path.to_path_buf(),
        });
    }

    let name = manifest
        .lib
        .and_then(|lib| lib.name)
        .unwrap_or(manifest.package.name);
    Ok(name.replace('-', "_"))
}

/// Reads the artifact file stem of the guest crate in `crate_dir`.
///
/// # Errors
///
/// As [`parse_artifact_name`], plus [`ManifestError::Read`].
pub(crate) fn read_artifact_name(crate_dir: &Path) -> Result<String, ManifestError> {
    let path = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
        path: path.clone(),
        source,
    })?;
    parse_artifact_name(&path, &text)
}

/// Returns where a release build for the guest target writes the component
/// named `artifact_name`.
pub(crate) fn component_path(target_dir: &Path, artifact_name: &str) -> PathBuf {
    target_dir
        .join(GUEST_TARGET)
        .join("release")
        .join(format!("{artifact_name}.wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<String, ManifestError> {
        parse_artifact_name(Path::new("/app/route/Cargo.toml"), text)
    }

    #[test]
    fn artifact_name_replaces_dashes() {
        let text = "[package]\nname = \"todo-list\"\n[lib]\ncrate-type = [\"cdylib\"]\n";

        assert_eq!(manifest(text).unwrap(), "todo_list");
    }

    #[test]
    fn artifact_name_prefers_lib_name() {
        let text = "[package]\nname = \"todo-list\"\n[lib]\nname = \"list-route\"\ncrate-type = [\"cdylib\", \"rlib\"]\n";

        assert_eq!(manifest(text).unwrap(), "list_route");
    }

    #[test]
    fn artifact_name_requires_cdylib() {
        let text = "[package]\nname = \"todo\"\n";

        let error = manifest(text).unwrap_err();

        assert!(matches!(error, ManifestError::NotCdylib { .. }), "{error}");
    }

    #[test]
    fn artifact_name_requires_package() {
        let text = "[workspace]\nmembers = [\"a\"]\n";

        let error = manifest(text).unwrap_err();

        assert!(matches!(error, ManifestError::Parse { .. }), "{error}");
    }

    #[test]
    fn component_path_is_release_output() {
        let path = component_path(Path::new("/t"), "todo_list");

        assert_eq!(
            path,
            PathBuf::from("/t/wasm32-wasip2/release/todo_list.wasm")
        );
    }

    #[test]
    fn header_of_component() {
        let bytes = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07];

        assert_eq!(classify_header(&bytes), WasmKind::Component);
    }

    #[test]
    fn header_of_core_module() {
        let bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

        assert_eq!(classify_header(&bytes), WasmKind::CoreModule);
    }

    #[test]
    fn header_of_other_files() {
        assert_eq!(classify_header(b""), WasmKind::Other);
        assert_eq!(classify_header(b"\0asm"), WasmKind::Other);
        assert_eq!(classify_header(b"#!/bin/sh\nexit 0\n"), WasmKind::Other);
        assert_eq!(
            classify_header(&[0x00, 0x61, 0x73, 0x6d, 0x0e, 0x00, 0x01, 0x00]),
            WasmKind::Other
        );
    }
}
