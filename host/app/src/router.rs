//! Route path patterns and matching.

/// A route path pattern such as `/items/:id`.
///
/// A pattern is `/` or a sequence of `/segment` parts. A segment is a
/// literal or a parameter `:name` that matches any one non-empty segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePattern {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The error returned for an invalid route pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid route pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// The reason the pattern is invalid.
    pub reason: &'static str,
}

impl RoutePattern {
    /// Parses a pattern.
    ///
    /// # Errors
    ///
    /// Returns [`PatternError`] when the pattern does not start with `/`,
    /// has an empty segment or a trailing slash, has a parameter without a
    /// name, repeats a parameter name, or contains a query, a fragment or a
    /// percent sign.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let error = |reason| PatternError {
            pattern: text.to_string(),
            reason,
        };
        if !text.starts_with('/') {
            return Err(error("a pattern must start with `/`"));
        }
        if text.contains(['?', '#', '%']) {
            return Err(error("a pattern cannot contain `?`, `#` or `%`"));
        }
        if text.contains(['{', '}', '*']) {
            return Err(error(
                "write a parameter as `:name`, such as `/items/:id`; `{}` and `*` are not supported",
            ));
        }

        let mut segments = Vec::new();
        if text != "/" {
            for part in text[1..].split('/') {
                if part.is_empty() {
                    return Err(error(
                        "a pattern cannot have an empty segment or a trailing `/`",
                    ));
                }
                match part.strip_prefix(':') {
                    Some("") => return Err(error("a parameter needs a name after `:`")),
                    Some(name) => {
                        if segments.contains(&Segment::Param(name.to_string())) {
                            return Err(error("a parameter name appears twice"));
                        }
                        segments.push(Segment::Param(name.to_string()));
                    }
                    None => segments.push(Segment::Literal(part.to_string())),
                }
            }
        }
        Ok(Self {
            text: text.to_string(),
            segments,
        })
    }

    /// Returns the pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Matches a request path (without query) and returns the captured
    /// parameters in pattern order, or `None` when the path does not match.
    ///
    /// One trailing slash on the path is ignored. Captured values are
    /// percent-decoded; a value that does not decode to UTF-8 fails the match.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let path = path.strip_prefix('/')?;
        let path = path.strip_suffix('/').unwrap_or(path);
        let parts: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').collect()
        };
        if parts.len() != self.segments.len() {
            return None;
        }

        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            let decoded = percent_decode(part)?;
            match segment {
                Segment::Literal(literal) if *literal == decoded => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if decoded.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), decoded)),
            }
        }
        Some(params)
    }

    /// Returns true when the pattern has no parameters.
    pub fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|segment| matches!(segment, Segment::Literal(_)))
    }
}

/// A successful match of a request path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the matched route in [`Router`]'s list.
    pub route: usize,
    /// The captured parameters in pattern order.
    pub params: Vec<(String, String)>,
}

/// Matches request paths against a list of route patterns.
#[derive(Clone, Debug, Default)]
pub struct Router {
    patterns: Vec<RoutePattern>,
}

impl Router {
    /// Creates a router over `patterns`, indexed in the order given.
    pub fn new(patterns: Vec<RoutePattern>) -> Self {
        Self { patterns }
    }

    /// Finds the route for `path` (without query). A pattern without
    /// parameters wins over one with parameters; otherwise the first
    /// matching pattern in list order wins.
    pub fn find(&self, path: &str) -> Option<Match> {
        let candidates = self.patterns.iter().enumerate();
        let mut fallback = None;
        for (index, pattern) in candidates {
            if let Some(params) = pattern.matches(path) {
                if pattern.is_static() {
                    return Some(Match {
                        route: index,
                        params,
                    });
                }
                fallback.get_or_insert(Match {
                    route: index,
                    params,
                });
            }
        }
        fallback
    }
}

/// Parses a URL query string (without the leading `?`) into decoded
/// name-value pairs in URL order. `+` decodes to a space; a pair whose
/// escapes are malformed or not UTF-8 is skipped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(&name.replace('+', " "))?;
            let value = percent_decode(&value.replace('+', " "))?;
            Some((name, value))
        })
        .collect()
}

/// Decodes `%XX` escapes; returns `None` for a malformed escape or for bytes
/// that are not UTF-8.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(patterns: &[&str]) -> Router {
        Router::new(
            patterns
                .iter()
                .map(|p| RoutePattern::parse(p).unwrap())
                .collect(),
        )
    }

    #[test]
    fn matches_root_and_params() {
        let router = router(&["/", "/items/:id", "/items/new"]);

        assert_eq!(router.find("/").unwrap().route, 0);
        assert_eq!(router.find("/items/new").unwrap().route, 2);
        let found = router.find("/items/a%20b/").unwrap();
        assert_eq!(found.route, 1);
        assert_eq!(found.params, vec![("id".to_string(), "a b".to_string())]);
        assert_eq!(router.find("/items"), None);
        assert_eq!(router.find("/items/1/2"), None);
        assert_eq!(router.find("nope"), None);
    }

    #[test]
    fn parses_query_pairs() {
        let pairs = parse_query("a=1&b=x+y&a=%C3%A9&flag&&bad=%zz");

        let expected = [("a", "1"), ("b", "x y"), ("a", "é"), ("flag", "")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn rejects_bad_percent_escape() {
        let router = router(&["/:x"]);

        assert_eq!(router.find("/%zz"), None);
        assert_eq!(router.find("/%ff"), None);
    }

    #[test]
    fn rejects_invalid_patterns() {
        for pattern in [
            "",
            "items",
            "/a//b",
            "/a/",
            "/:",
            "/:a/:a",
            "/a?b",
            "/items/{id}",
            "/files/*rest",
        ] {
            assert!(
                RoutePattern::parse(pattern).is_err(),
                "{pattern} was accepted"
            );
        }
    }
}
