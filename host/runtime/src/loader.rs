//! Loading route components: compile once per process, cache on disk.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// The first eight bytes of a component binary: the wasm magic, then the
/// component-model version and layer fields.
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/// The error returned when a route's component cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The component file could not be read.
    #[error("failed to read component {path}")]
    Read {
        /// The component file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is a core wasm module or not wasm at all.
    #[error("{path} is not a WebAssembly component (build guests with `trellis build`)")]
    NotComponent {
        /// The file.
        path: PathBuf,
    },
    /// wasmtime failed to compile the component or link its imports.
    #[error("failed to load component {path}: {message}")]
    Compile {
        /// The component file.
        path: PathBuf,
        /// wasmtime's error with its causes.
        message: String,
    },
    /// The component does not export the route interface, usually because
    /// its crate never calls `trellis::route!`.
    #[error(
        "component {path} of route {pattern} does not export `trellis:ui/route@0.1.0`: \
         add `trellis::route!(YourRoute);` to the route's crate and build it again"
    )]
    NoRouteExport {
        /// The component file.
        path: PathBuf,
        /// The route's path pattern.
        pattern: String,
    },
    /// The engine could not be created.
    #[error("failed to configure the wasm engine: {0}")]
    Engine(String),
}

/// Loads the component at `path`, from the precompiled cache in `cache_dir`
/// when it contains a copy compiled by an engine with the same configuration.
///
/// The cache key is a blake3 hash of the component's bytes and of the
/// engine's precompile compatibility hash (wasmtime's version and every
/// setting that affects compiled code), so a changed component or engine
/// configuration misses the cache and compiles afresh. Cache write failures
/// are logged and otherwise ignored.
///
/// # Errors
///
/// Returns [`LoadError`] when the file cannot be read, is not a component,
/// or fails to compile.
pub fn load_component(
    engine: &Engine,
    path: &Path,
    cache_dir: Option<&Path>,
) -> Result<Component, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.starts_with(&COMPONENT_HEADER) {
        return Err(LoadError::NotComponent {
            path: path.to_path_buf(),
        });
    }

    let cached = cache_dir.map(|dir| dir.join(format!("{}.cwasm", cache_key(engine, &bytes))));
    if let Some(cached) = &cached
        && cached.exists()
    {
        match deserialize_cached(engine, cached) {
            Ok(component) => {
                tracing::debug!(component = %path.display(), cache = %cached.display(), "loaded precompiled component");
                return Ok(component);
            }
            Err(error) => {
                tracing::warn!(cache = %cached.display(), error = %error, "ignoring unusable precompiled component");
            }
        }
    }

    let started = std::time::Instant::now();
    let component = Component::new(engine, &bytes).map_err(|error| LoadError::Compile {
        path: path.to_path_buf(),
        message: format!("{error:#}"),
    })?;
    tracing::info!(
        component = %path.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "compiled component"
    );
    if let Some(cached) = &cached
        && let Err(error) = write_cache(&component, cached)
    {
        tracing::warn!(cache = %cached.display(), error = %error, "failed to write precompiled component");
    }
    Ok(component)
}

#[allow(
    unsafe_code,
    reason = "loading precompiled code is unsafe by wasmtime's contract; see SAFETY"
)]
fn deserialize_cached(engine: &Engine, cached: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `Component::deserialize_file` trusts the file to be a
    // component that this wasmtime version serialized. The file lives in the
    // app's own state directory, and its name is a hash of the source
    // component and the engine configuration. `write_cache` writes it
    // atomically (by rename), so it is either a complete serialization made
    // by this code or absent. wasmtime also checks the header, version and
    // configuration.
    unsafe { Component::deserialize_file(engine, cached) }
}

fn write_cache(component: &Component, cached: &Path) -> wasmtime::Result<()> {
    let dir = cached.parent().expect("cache file has a parent directory");
    std::fs::create_dir_all(dir)?;
    let serialized = component.serialize()?;
    let temporary = cached.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, serialized)?;
    std::fs::rename(&temporary, cached)?;
    Ok(())
}

fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.update(bytes);
    hasher.0.finalize().to_hex()[..32].to_string()
}

/// Feeds `Hash` implementations into blake3, whose output, unlike
/// `DefaultHasher`'s, is stable across processes and Rust versions.
struct Blake3Hasher(blake3::Hasher);

impl Hasher for Blake3Hasher {
    fn finish(&self) -> u64 {
        let hash = self.0.finalize();
        u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
