//! Helpers shared by the CLI's integration tests.

use std::path::{Path, PathBuf};

/// Returns the repository root, two levels above this crate.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the CLI crate lives at host/cli")
        .to_path_buf()
}
