//! The `Origin` check of the Socket.IO handshake.
//!
//! Browsers send `Origin` on every WebSocket upgrade, and the session cookie
//! travels with the upgrade whichever site opened it. Without this check a
//! page on another site could open a socket that carries a visitor's cookie
//! and drive their routes (cross-site WebSocket hijacking).

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// Checks the `Origin` of an upgrade request.
///
/// A request without `Origin` passes: browsers always send it, so such a
/// request comes from a non-browser client, which needs the session cookie
/// anyway. Otherwise the origin must have the request's own host (its
/// `Host` header, or the URI authority of an HTTP/2 request) or be in
/// `allowed`. The scheme of the request's own origin is not compared,
/// because behind a TLS-terminating proxy the server sees plain HTTP.
///
/// # Errors
///
/// Returns the rejected `Origin` value, lossily decoded, for the log and the
/// client's error message. Several `Origin` headers are rejected too.
pub(crate) fn check_origin(
    headers: &HeaderMap,
    authority: Option<&str>,
    allowed: &[String],
) -> Result<(), String> {
    let mut values = headers.get_all(ORIGIN).iter();
    let Some(value) = values.next() else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    if values.next().is_some() {
        return Err(text);
    }
    let Some(origin) = Origin::parse(&text) else {
        // `null` (a sandboxed frame or a local file) and other opaque
        // origins match only an allowlist entry written the same way.
        return if allowed
            .iter()
            .any(|entry| entry.eq_ignore_ascii_case(&text))
        {
            Ok(())
        } else {
            Err(text)
        };
    };

    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or(authority);
    if host.is_some_and(|host| origin.host_port == normalize_authority(origin.scheme, host)) {
        return Ok(());
    }
    if allowed
        .iter()
        .filter_map(|entry| Origin::parse(entry))
        .any(|entry| entry == origin)
    {
        return Ok(());
    }
    Err(text)
}

/// Checks that `text` is an origin as browsers write it in the `Origin`
/// header: `http` or `https`, `://`, a host and an optional port, with no
/// path. It is the form an `allowed-origins` entry must have.
pub fn is_valid_origin(text: &str) -> bool {
    Origin::parse(text).is_some()
}

/// A parsed tuple origin, lowercased, without the scheme's default port.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: &'static str,
    host_port: String,
}

impl Origin {
    fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            "http"
        } else if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else {
            return None;
        };
        let valid = !rest.is_empty()
            && rest
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && !b"/?#@\\".contains(&byte));
        if !valid {
            return None;
        }
        Some(Self {
            scheme,
            host_port: normalize_authority(scheme, rest),
        })
    }
}

/// Lowercases `host[:port]` and drops the port when it is the default port
/// of `scheme`, so that `Host: a.example:80` matches `http://a.example`.
fn normalize_authority(scheme: &str, authority: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    match authority.strip_suffix(default_port) {
        Some(host) => host.to_string(),
        None => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn missing_origin_passes() {
        let request = headers(None, "127.0.0.1:3000");

        assert_eq!(check_origin(&request, None, &[]), Ok(()));
    }

    #[test]
    fn own_origin_passes() {
        let cases = [
            ("http://127.0.0.1:3000", "127.0.0.1:3000"),
            ("https://App.Example", "app.example"),
            ("http://app.example", "app.example:80"),
            ("https://app.example:443", "app.example"),
        ];

        for (origin, host) in cases {
            let request = headers(Some(origin), host);
            assert_eq!(check_origin(&request, None, &[]), Ok(()), "{origin} {host}");
        }
    }

    #[test]
    fn foreign_origin_is_rejected() {
        let cases = [
            "http://evil.example",
            "http://127.0.0.1:3001",
            "http://127.0.0.1:3000/path",
            "ws://127.0.0.1:3000",
            "null",
            "",
        ];

        for origin in cases {
            let request = headers(Some(origin), "127.0.0.1:3000");
            assert_eq!(
                check_origin(&request, None, &[]),
                Err(origin.to_string()),
                "{origin}"
            );
        }
    }

    #[test]
    fn allowlisted_origin_passes() {
        let allowed = vec!["https://app.example".to_string(), "null".to_string()];

        for origin in ["https://APP.example", "https://app.example:443", "null"] {
            let request = headers(Some(origin), "127.0.0.1:3000");
            assert_eq!(check_origin(&request, None, &allowed), Ok(()), "{origin}");
        }
        let other_scheme = headers(Some("http://app.example"), "127.0.0.1:3000");
        assert!(check_origin(&other_scheme, None, &allowed).is_err());
    }

    #[test]
    fn two_origin_headers_are_rejected() {
        let mut request = headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000");
        request.append(ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));

        assert!(check_origin(&request, None, &[]).is_err());
    }

    #[test]
    fn validates_allowlist_entries() {
        assert!(is_valid_origin("https://app.example:8443"));
        assert!(!is_valid_origin("https://app.example/"));
        assert!(!is_valid_origin("app.example"));
        assert!(!is_valid_origin("ftp://app.example"));
    }
}
