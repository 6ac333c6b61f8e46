//! Replay tokens: the random seed and clock start of a prerender, carried by
//! the page so that the mount renders the same tree.
//!
//! The page carries a nonce, the clock start and a MAC over both, the user
//! session ID and the route path under the server key. The seed itself is
//! derived from the server key and never leaves the host, so a client can
//! neither choose nor learn the values a route draws. A token made for
//! another user session or another route does not verify.

use std::time::Duration;

use trellis_runtime::Replay;

use crate::key::{ServerKey, from_hex, macs_equal, to_hex};
use crate::session::SessionId;

const MAC_CONTEXT: &str = "trellis 2026 replay token";
const SEED_CONTEXT: &str = "trellis 2026 replay seed";

/// How long after the prerender a token still replays. A later mount gets
/// fresh values, so a stale page cannot pin a route to an old clock.
pub const MAX_TOKEN_AGE: Duration = Duration::from_secs(600);

/// Creates the replay values of a prerender and the token that carries them.
pub fn issue(key: &ServerKey, session: &SessionId, path: &str) -> (Replay, String) {
    let mut nonce = [0u8; 16];
    rand::fill(&mut nonce);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    // Whole milliseconds, so the value survives the round trip through the
    // token unchanged.
    let clock_start = Duration::from_millis(u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
    let clock_ms = u64::try_from(clock_start.as_millis())
        .unwrap_or(u64::MAX)
        .to_le_bytes();

    let mac = key.mac(
        MAC_CONTEXT,
        &[session.as_bytes(), path.as_bytes(), &nonce, &clock_ms],
    );
    let mut bytes = Vec::with_capacity(40);
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&clock_ms);
    bytes.extend_from_slice(&mac);

    let replay = Replay {
        seed: seed(key, session, path, &nonce),
        clock_start,
    };
    (replay, to_hex(&bytes))
}

/// The reason a replay token was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The token is malformed or was made for another session, route or key.
    #[error("replay token does not verify for this session and route")]
    Invalid,
    /// The token is older than [`MAX_TOKEN_AGE`].
    #[error("replay token is too old")]
    Expired,
}

/// Checks a token made by [`issue`] for the same user session and route
/// path, and returns the replay values it stands for.
///
/// # Errors
///
/// Returns [`ReplayError`] when the token does not verify or is too old
/// at `now` (time since the UNIX epoch).
pub fn verify(
    key: &ServerKey,
    session: &SessionId,
    path: &str,
    token: &str,
    now: Duration,
) -> Result<Replay, ReplayError> {
    let bytes = from_hex(token)
        .filter(|bytes| bytes.len() == 40)
        .ok_or(ReplayError::Invalid)?;
    let (nonce, rest) = bytes.split_at(16);
    let (clock_ms, mac) = rest.split_at(8);
    let expected = key.mac(
        MAC_CONTEXT,
        &[session.as_bytes(), path.as_bytes(), nonce, clock_ms],
    );
    if !macs_equal(&expected, mac) {
        return Err(ReplayError::Invalid);
    }
    let clock_start =
        Duration::from_millis(u64::from_le_bytes(clock_ms.try_into().expect("8 bytes")));
    if now.saturating_sub(clock_start) > MAX_TOKEN_AGE {
        return Err(ReplayError::Expired);
    }
    Ok(Replay {
        seed: seed(key, session, path, nonce),
        clock_start,
    })
}

fn seed(key: &ServerKey, session: &SessionId, path: &str, nonce: &[u8]) -> [u8; 32] {
    key.derive(SEED_CONTEXT, &[session.as_bytes(), path.as_bytes(), nonce])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .unwrap()
    }

    #[test]
    fn token_replays_same_values() {
        let key = ServerKey::generate();
        let session = SessionId::generate();

        let (replay, token) = issue(&key, &session, "/lucky");

        assert_eq!(verify(&key, &session, "/lucky", &token, now()), Ok(replay));
    }

    #[test]
    fn token_is_bound_to_session_route_and_key() {
        let key = ServerKey::generate();
        let session = SessionId::generate();
        let (_, token) = issue(&key, &session, "/lucky");

        let other_session = verify(&key, &SessionId::generate(), "/lucky", &token, now());
        let other_route = verify(&key, &session, "/", &token, now());
        let other_key = verify(&ServerKey::generate(), &session, "/lucky", &token, now());

        assert_eq!(other_session, Err(ReplayError::Invalid));
        assert_eq!(other_route, Err(ReplayError::Invalid));
        assert_eq!(other_key, Err(ReplayError::Invalid));
    }

    #[test]
    fn old_token_expires() {
        let key = ServerKey::generate();
        let session = SessionId::generate();
        let (_, token) = issue(&key, &session, "/");

        let result = verify(
            &key,
            &session,
            "/",
            &token,
            now() + MAX_TOKEN_AGE + Duration::from_secs(1),
        );

        assert_eq!(result, Err(ReplayError::Expired));
    }

    #[test]
    fn token_does_not_reveal_seed() {
        let key = ServerKey::generate();
        let session = SessionId::generate();

        let (replay, token) = issue(&key, &session, "/");

        assert!(!token.contains(&to_hex(&replay.seed[..8])));
    }
}
