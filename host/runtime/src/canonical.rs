//! Turning the bytes a guest renders into a checked, canonical tree.

use trellis_core::encode::{decode_node, encode_node};

use crate::instance::{CallError, Rendered};

/// Decodes a guest's VDOM bytes, normalizes and sanitizes the tree, and
/// re-encodes it, so the result does not depend on whether the guest
/// normalized its tree and contains no markup the host refuses to serve.
pub(crate) fn canonicalize(bytes: &[u8], route: &str) -> Result<Rendered, CallError> {
    let mut node = decode_node(bytes).map_err(|error| CallError::InvalidTree(error.to_string()))?;
    node.normalize();
    let warnings = trellis_core::validate::sanitize(&mut node)
        .map_err(|error| CallError::InvalidTree(error.to_string()))?;
    for warning in warnings {
        tracing::warn!(route, warning = %warning, "sanitized the route's tree");
    }
    let bytes = encode_node(&node);
    Ok(Rendered { node, bytes })
}
