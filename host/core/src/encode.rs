//! The canonical bincode encoding of a VDOM tree.
//!
//! The guest encodes its normalized tree with [`encode_node`]; the host
//! decodes it with [`decode_node`], normalizes it again (a guest may skip
//! that step) and re-encodes it, so one tree always has one byte string. The
//! render ID is a hash of those bytes.

use crate::vdom::Node;

/// The largest VDOM, in encoded bytes, that [`decode_node`] accepts.
pub const MAX_ENCODED_LEN: usize = 16 * 1024 * 1024;

/// The deepest element nesting that [`decode_node`] accepts. The limit keeps
/// recursive code on the host (decode, diff, HTML output) within its stack.
pub const MAX_DEPTH: usize = 256;

/// The error returned when VDOM bytes cannot be decoded.
#[derive(Debug)]
pub struct DecodeError(String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid VDOM bytes: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

fn config() -> impl bincode::config::Config {
    // Fixed-width little-endian integers would also do; varints keep trees
    // with many short strings small. The limit bounds what a hostile guest
    // can make the host allocate while decoding.
    bincode::config::standard().with_limit::<MAX_ENCODED_LEN>()
}

/// Encodes a tree as canonical bincode bytes. Call [`Node::normalize`] first
/// for the canonical form.
pub fn encode_node(node: &Node) -> Vec<u8> {
    bincode::encode_to_vec(node, config()).expect("encoding a VDOM tree into a Vec cannot fail")
}

/// Decodes bytes written by [`encode_node`].
///
/// # Errors
///
/// Returns [`DecodeError`] when the bytes are not one whole encoded tree, are
/// longer than [`MAX_ENCODED_LEN`], or nest elements deeper than
/// [`MAX_DEPTH`].
pub fn decode_node(bytes: &[u8]) -> Result<Node, DecodeError> {
    if bytes.len() > MAX_ENCODED_LEN {
        return Err(DecodeError(format!(
            "{} bytes is more than the limit of {MAX_ENCODED_LEN}",
            bytes.len()
        )));
    }
    check_depth(bytes)?;
    let (node, read): (Node, usize) = bincode::decode_from_slice(bytes, config())
        .map_err(|error| DecodeError(error.to_string()))?;
    if read != bytes.len() {
        return Err(DecodeError(format!(
            "{} trailing bytes after the tree",
            bytes.len() - read
        )));
    }
    Ok(node)
}

/// Rejects trees nested deeper than [`MAX_DEPTH`] before bincode's recursive
/// decoder sees them, by walking the encoding without allocating.
fn check_depth(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut reader = Reader { bytes, position: 0 };
    // Each entry counts the nodes still to read at one level.
    let mut pending: Vec<u64> = vec![1];
    while let Some(remaining) = pending.last_mut() {
        if *remaining == 0 {
            pending.pop();
            continue;
        }
        *remaining -= 1;
        match reader.varint()? {
            0 => {
                reader.string()?; // tag
                if reader.varint()? == 1 {
                    reader.string()?; // key
                }
                for _ in 0..reader.varint()? {
                    reader.string()?; // attribute name
                    reader.string()?; // attribute value
                }
                for _ in 0..reader.varint()? {
                    reader.varint()?; // event kind
                    reader.varint()?; // handler ID
                }
                let children = reader.varint()?;
                if pending.len() >= MAX_DEPTH {
                    return Err(DecodeError(format!(
                        "elements nest deeper than {MAX_DEPTH} levels"
                    )));
                }
                pending.push(children);
            }
            1 => {
                reader.string()?;
            }
            other => return Err(DecodeError(format!("unknown node variant {other}"))),
        }
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| DecodeError("unexpected end of input".into()))?;
        self.position += 1;
        Ok(byte)
    }

    /// Reads an integer in bincode's standard varint form: one byte below 251,
    /// or a marker byte 251..=254 followed by 2, 4, 8 or 16 little-endian bytes.
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let width = match self.byte()? {
            small @ 0..=250 => return Ok(u64::from(small)),
            251 => 2,
            252 => 4,
            253 => 8,
            _ => return Err(DecodeError("integer wider than 64 bits".into())),
        };
        let mut value = 0u64;
        for shift in 0..width {
            value |= u64::from(self.byte()?) << (8 * shift);
        }
        Ok(value)
    }

    fn string(&mut self) -> Result<(), DecodeError> {
        let len =
            usize::try_from(self.varint()?).map_err(|_| DecodeError("string too long".into()))?;
        let end = self
            .position
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| DecodeError("unexpected end of input".into()))?;
        self.position = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vdom::{Attr, Element, EventKind, HandlerId, Listener};

    fn sample() -> Node {
        let mut root = Element::new("div");
        root.key = Some("k".into());
        root.attrs.push(Attr {
            name: "id".into(),
            value: "x".into(),
        });
        root.listeners.push(Listener {
            kind: EventKind::Submit,
            handler: HandlerId(300),
        });
        root.children.push(Node::text("hello"));
        root.children.push(Node::Element(Element::new("br")));
        Node::Element(root)
    }

    #[test]
    fn round_trip() {
        let node = sample();

        let decoded = decode_node(&encode_node(&node)).unwrap();

        assert_eq!(decoded, node);
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = encode_node(&sample());
        bytes.push(0);

        let error = decode_node(&bytes).unwrap_err();

        assert!(error.to_string().contains("trailing"), "{error}");
    }

    #[test]
    fn rejects_deep_nesting() {
        let mut node = Node::text("leaf");
        for _ in 0..MAX_DEPTH + 1 {
            let mut element = Element::new("div");
            element.children.push(node);
            node = Node::Element(element);
        }
        let bytes = encode_node(&node);

        let error = decode_node(&bytes).unwrap_err();

        assert!(error.to_string().contains("deeper"), "{error}");
    }

    #[test]
    fn rejects_truncated_input() {
        let bytes = encode_node(&sample());

        for len in 0..bytes.len() {
            assert!(
                decode_node(&bytes[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
    }
}
