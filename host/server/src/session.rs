//! User sessions: one browser's identity, carried by a cookie.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::key::{ServerKey, from_hex, macs_equal, to_hex};

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

    /// Creates the cookie value for this session: the ID, the issue time in
    /// seconds since the UNIX epoch and a MAC of both under the server key,
    /// as 80 hex digits.
    pub fn cookie_value(&self, key: &ServerKey, issued_secs: u64) -> String {
        let issued = issued_secs.to_le_bytes();
        let mac = key.mac(COOKIE_CONTEXT, &[&self.0, &issued]);
        let mut bytes = Vec::with_capacity(40);
        bytes.extend_from_slice(&self.0);
        bytes.extend_from_slice(&issued);
        bytes.extend_from_slice(&mac);
        to_hex(&bytes)
    }

    /// Checks a cookie value made by [`SessionId::cookie_value`] and returns
    /// the session ID.
    ///
    /// # Errors
    ///
    /// Returns [`CookieError::Invalid`] when the value is malformed or its
    /// MAC does not verify under `key`, and [`CookieError::Expired`] when it
    /// was issued more than `max_age_secs` before `now_secs`.
    pub fn verify_cookie(
        key: &ServerKey,
        value: &str,
        max_age_secs: u64,
        now_secs: u64,
    ) -> Result<Self, CookieError> {
        let bytes = from_hex(value)
            .filter(|bytes| bytes.len() == 40)
            .ok_or(CookieError::Invalid)?;
        let (id, rest) = bytes.split_at(16);
        let (issued, mac) = rest.split_at(8);
        if !macs_equal(&key.mac(COOKIE_CONTEXT, &[id, issued]), mac) {
            return Err(CookieError::Invalid);
        }
        let issued = u64::from_le_bytes(issued.try_into().expect("8 bytes"));
        if now_secs.saturating_sub(issued) > max_age_secs {
            return Err(CookieError::Expired);
        }
        Ok(Self(id.try_into().expect("16 bytes")))
    }

    /// Returns the `Set-Cookie` header value that stores a cookie value.
    pub fn set_cookie_header(value: &str, secure: bool, max_age_secs: u64) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
        )
    }
}

/// Domain separation of the session cookie MAC.
const COOKIE_CONTEXT: &str = "trellis 2026 session cookie";

/// Finds the session cookie's value in a `Cookie` header value.
pub fn cookie_from_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
}

/// The reason a session cookie was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// The value is malformed or was not made with this server key.
    #[error("invalid session cookie")]
    Invalid,
    /// The cookie is older than the maximum session age.
    #[error("expired session cookie")]
    Expired,
}

/// Returns the current time in whole seconds since the UNIX epoch.
pub fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
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

/// The user sessions this process has seen.
///
/// A session starts unclaimed when a GET without a valid cookie creates it,
/// and becomes claimed when a socket connection presents its cookie. Several
/// concurrent first requests of one browser may each create one; the cookie
/// that reaches the socket decides which is claimed, and the others are
/// disposed once they have gone `unclaimed_ttl` without a connection. A
/// claimed session whose last render session ended is disposed after the
/// same time. At most `max_unclaimed` unclaimed sessions are kept; beyond
/// that the oldest are disposed first, so a flood of cookie-less requests
/// costs a bounded amount of memory (about 100 bytes per session: the
/// 16-byte ID as map key, its entry, and a queue slot).
///
/// The cookie itself is authenticated by the server key, so a valid cookie
/// that this process has not seen (issued by another process that shares
/// the key, or disposed here) is accepted and registered again.
pub(crate) struct UserSessions {
    inner: Mutex<SessionsInner>,
    unclaimed_ttl: Duration,
    max_unclaimed: usize,
}

#[derive(Default)]
struct SessionsInner {
    sessions: HashMap<SessionId, SessionEntry>,
    /// Unclaimed sessions in creation order. Entries of sessions that were
    /// claimed or disposed since stay until they reach the front.
    unclaimed: VecDeque<(SessionId, Instant)>,
    unclaimed_count: usize,
}

struct SessionEntry {
    /// Connected render sessions (detached ones within their grace period
    /// included); `None` while unclaimed.
    render_sessions: Option<u32>,
    /// When the session was created or last lost its last render session.
    idle_since: Instant,
}

impl UserSessions {
    pub(crate) fn new(unclaimed_ttl: Duration, max_unclaimed: usize) -> Self {
        Self {
            inner: Mutex::new(SessionsInner::default()),
            unclaimed_ttl,
            max_unclaimed: max_unclaimed.max(1),
        }
    }

    /// Creates an unclaimed session.
    pub(crate) fn create(&self, now: Instant) -> SessionId {
        let id = SessionId::generate();
        self.lock().insert_unclaimed(id, now, self.max_unclaimed);
        id
    }

    /// Records that a GET presented a valid cookie: the session is known
    /// again if it had been disposed.
    pub(crate) fn touch(&self, id: SessionId, now: Instant) {
        let mut inner = self.lock();
        if let Some(entry) = inner.sessions.get_mut(&id) {
            // An unclaimed session keeps its creation time, which its queue
            // entry matches; a claimed one with no tab left restarts its
            // idle time.
            if entry.render_sessions == Some(0) {
                entry.idle_since = now;
            }
            return;
        }
        inner.insert_unclaimed(id, now, self.max_unclaimed);
    }

    /// Claims the session for a new render session.
    pub(crate) fn claim(&self, id: SessionId, now: Instant) {
        let mut inner = self.lock();
        let entry = inner.sessions.entry(id).or_insert(SessionEntry {
            render_sessions: Some(0),
            idle_since: now,
        });
        let was_unclaimed = entry.render_sessions.is_none();
        entry.render_sessions = Some(entry.render_sessions.unwrap_or(0) + 1);
        if was_unclaimed {
            inner.unclaimed_count -= 1;
        }
    }

    /// Records that one of the session's render sessions ended.
    pub(crate) fn release(&self, id: SessionId, now: Instant) {
        let mut inner = self.lock();
        if let Some(entry) = inner.sessions.get_mut(&id)
            && let Some(count) = entry.render_sessions.as_mut()
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                entry.idle_since = now;
            }
        }
    }

    /// Disposes the sessions that have had no render session for longer
    /// than the unclaimed TTL.
    pub(crate) fn sweep(&self, now: Instant) {
        let ttl = self.unclaimed_ttl;
        let mut inner = self.lock();
        let mut disposed_unclaimed = 0;
        inner.sessions.retain(|_, entry| {
            let idle = matches!(entry.render_sessions, None | Some(0));
            let expired = idle && now.duration_since(entry.idle_since) >= ttl;
            if expired && entry.render_sessions.is_none() {
                disposed_unclaimed += 1;
            }
            !expired
        });
        inner.unclaimed_count -= disposed_unclaimed;
        let SessionsInner {
            sessions,
            unclaimed,
            ..
        } = &mut *inner;
        unclaimed.retain(|(id, _)| {
            sessions
                .get(id)
                .is_some_and(|entry| entry.render_sessions.is_none())
        });
    }

    /// Returns how many sessions this process keeps.
    pub(crate) fn count(&self) -> usize {
        self.lock().sessions.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionsInner> {
        // Every update leaves the map and queue consistent before it can
        // panic, so a poisoned lock is safe to use.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SessionsInner {
    /// Adds an unclaimed session, then disposes the oldest unclaimed ones
    /// while there are more than `max_unclaimed`.
    fn insert_unclaimed(&mut self, id: SessionId, now: Instant, max_unclaimed: usize) {
        self.sessions.insert(
            id,
            SessionEntry {
                render_sessions: None,
                idle_since: now,
            },
        );
        self.unclaimed.push_back((id, now));
        self.unclaimed_count += 1;
        while self.unclaimed_count > max_unclaimed && self.dispose_oldest_unclaimed() {}
    }

    /// Disposes the oldest unclaimed session; returns false when there is
    /// none.
    fn dispose_oldest_unclaimed(&mut self) -> bool {
        while let Some((id, created)) = self.unclaimed.pop_front() {
            let still_unclaimed = self.sessions.get(&id).is_some_and(|entry| {
                entry.render_sessions.is_none() && entry.idle_since == created
            });
            if still_unclaimed {
                self.sessions.remove(&id);
                self.unclaimed_count -= 1;
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_cookie() {
        let key = ServerKey::generate();
        let id = SessionId::generate();
        let header = format!(
            "other=1; {SESSION_COOKIE}={}; x=y",
            id.cookie_value(&key, 100)
        );

        let value = cookie_from_header(&header).unwrap();

        assert_eq!(SessionId::verify_cookie(&key, value, 50, 120), Ok(id));
    }

    #[test]
    fn rejects_forged_and_expired_cookies() {
        let key = ServerKey::generate();
        let value = SessionId::generate().cookie_value(&key, 100);
        let mut tampered = value.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();

        assert_eq!(
            SessionId::verify_cookie(&key, &tampered, 50, 120),
            Err(CookieError::Invalid)
        );
        assert_eq!(
            SessionId::verify_cookie(&ServerKey::generate(), &value, 50, 120),
            Err(CookieError::Invalid)
        );
        assert_eq!(
            SessionId::verify_cookie(&key, &value, 50, 151),
            Err(CookieError::Expired)
        );
        assert_eq!(
            SessionId::verify_cookie(&key, "zz", 50, 120),
            Err(CookieError::Invalid)
        );
    }

    #[test]
    fn unclaimed_sessions_are_capped_and_expire() {
        let sessions = UserSessions::new(Duration::from_secs(60), 3);
        let start = Instant::now();
        let ids: Vec<SessionId> = (0..5).map(|_| sessions.create(start)).collect();

        sessions.claim(ids[4], start);
        let after_cap = sessions.count();
        sessions.sweep(start + Duration::from_secs(61));

        assert_eq!(after_cap, 3);
        assert_eq!(sessions.count(), 1);
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
        let header = SessionId::set_cookie_header("abc", true, 60);

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
