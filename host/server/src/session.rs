//! User sessions: one browser's identity, carried by a cookie.

use std::fmt;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "trellis_session";

/// A user session ID: 128 random bits, written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId([u8; 16]);

impl SessionId {
    /// Creates a new random session ID from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        Self(bytes)
    }

    /// Parses 32 lowercase hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let pair = text.get(index * 2..index * 2 + 2)?;
            if !pair
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            {
                return None;
            }
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// Returns the raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Returns the `Set-Cookie` header value that stores this ID.
    pub fn set_cookie_header(&self, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}={self}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }

    /// Finds the session cookie in a `Cookie` header value.
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .and_then(|(_, value)| Self::parse(value.trim()))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Session IDs are bearer secrets: never print them whole.
        write!(f, "SessionId({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// Computes the render ID of a tree for a user session: blake3, in its
/// key-derivation mode for domain separation, over the session ID and the
/// tree's canonical bytes. The session ID has a fixed length, so the
/// concatenation is unambiguous.
pub fn render_id(session: &SessionId, vdom: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("trellis 2026 render id");
    hasher.update(session.as_bytes());
    hasher.update(vdom);
    hasher.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_cookie() {
        let id = SessionId::generate();

        let header = format!("other=1; {SESSION_COOKIE}={id}; x=y");

        assert_eq!(SessionId::from_cookie_header(&header), Some(id));
    }

    #[test]
    fn rejects_malformed_ids() {
        for text in [
            "",
            "xyz",
            &"A".repeat(32),
            &"0".repeat(31),
            &"0".repeat(33),
            &"+1".repeat(16),
        ] {
            assert_eq!(SessionId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn cookie_has_flags() {
        let header = SessionId::generate().set_cookie_header(true);

        for flag in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
            assert!(header.contains(flag), "{header}");
        }
    }

    #[test]
    fn render_id_depends_on_session() {
        let bytes = [1, 2, 3];

        let a = render_id(&SessionId::generate(), &bytes);
        let b = render_id(&SessionId::generate(), &bytes);

        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
