//! The server key: authenticates session cookies and replay tokens.

use std::fmt;
use std::path::Path;

/// The environment variable that may hold the server key as 64 hex digits.
pub const SERVER_KEY_ENV: &str = "TRELLIS_SERVER_KEY";

/// A 256-bit secret key that authenticates what the host hands to browsers
/// (session cookies, replay tokens), so that every server process that
/// shares it accepts them and no client can forge them.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

/// The error returned when a server key cannot be read or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not 64 hex digits.
    #[error("invalid server key: expected 64 hex digits")]
    Invalid,
    /// The key file could not be read or written.
    #[error("failed to access server key file {path}")]
    Io {
        /// The key file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ServerKey {
    /// Creates a random key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(bytes)
    }

    /// Parses 64 hex digits (surrounding whitespace is ignored).
    ///
    /// # Errors
    ///
    /// Returns [`KeyError::Invalid`] for anything else.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.len() != 64 || !text.is_ascii() {
            return Err(KeyError::Invalid);
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16)
                .map_err(|_| KeyError::Invalid)?;
        }
        Ok(Self(bytes))
    }

    /// Reads the key from `path`, or, when the file does not exist, creates
    /// a random key and writes it there (readable by the owner only).
    /// Returns the key and whether it was created.
    ///
    /// # Errors
    ///
    /// Returns [`KeyError`] when the file cannot be read or written, or contains
    /// something other than 64 hex digits.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => return Ok((Self::from_hex(&text)?, false)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(error)),
        }

        let key = Self::generate();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes())
                    .map_err(io)?;
                Ok((key, true))
            }
            // Another server process created it first: use that one.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(io)?;
                Ok((Self::from_hex(&text)?, false))
            }
            Err(error) => Err(io(error)),
        }
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Computes a 128-bit MAC over `parts` for a purpose named by `context`.
    /// Each part is length-prefixed, so different splits of the same bytes
    /// give different MACs.
    pub(crate) fn mac(&self, context: &str, parts: &[&[u8]]) -> [u8; 16] {
        let mut hasher = blake3::Hasher::new_keyed(&blake3::derive_key(context, &self.0));
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let mut mac = [0u8; 16];
        mac.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        mac
    }

    /// Derives 32 secret bytes from `parts` for a purpose named by `context`.
    pub(crate) fn derive(&self, context: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&blake3::derive_key(context, &self.0));
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        *hasher.finalize().as_bytes()
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

/// Compares two MACs in time that does not depend on where they differ.
pub(crate) fn macs_equal(a: &[u8; 16], b: &[u8]) -> bool {
    b.len() == 16 && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Writes bytes as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses the lowercase hex that [`to_hex`] writes. Anything else, such as
/// uppercase digits or the sign that `u8::from_str_radix` would take, is
/// rejected, so one byte string has exactly one accepted text.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(byte: u8) -> Option<u8> {
        match byte {
            b'0'..=b'9' => Some(byte - b'0'),
            b'a'..=b'f' => Some(byte - b'a' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let key = ServerKey::generate();

        let parsed = ServerKey::from_hex(&key.to_hex()).unwrap();

        assert_eq!(parsed.0, key.0);
    }

    #[test]
    fn rejects_bad_hex() {
        for text in ["", "00", &"g".repeat(64), &"0".repeat(63)] {
            assert!(ServerKey::from_hex(text).is_err(), "{text}");
        }
    }

    #[test]
    fn mac_depends_on_key_context_and_split() {
        let key = ServerKey::generate();

        let base = key.mac("a", &[b"xy", b"z"]);

        assert_ne!(base, key.mac("b", &[b"xy", b"z"]));
        assert_ne!(base, key.mac("a", &[b"x", b"yz"]));
        assert_ne!(base, ServerKey::generate().mac("a", &[b"xy", b"z"]));
        assert!(macs_equal(&base, &key.mac("a", &[b"xy", b"z"])));
    }

    #[test]
    fn load_or_create_keeps_key() {
        let dir = std::env::temp_dir().join(format!("trellis-key-test-{}", std::process::id()));
        let path = dir.join("server-key");

        let (created, was_created) = ServerKey::load_or_create(&path).unwrap();
        let (loaded, loaded_created) = ServerKey::load_or_create(&path).unwrap();

        assert!(was_created);
        assert!(!loaded_created);
        assert_eq!(created.0, loaded.0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
