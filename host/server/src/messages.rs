//! Client-to-host messages of the Socket.IO protocol, parsed and checked.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use crate::page::RenderData;

/// Maximum length of a `mount` path with its query, in bytes.
pub const MAX_PATH_LEN: usize = 2048;

/// A checked `mount` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// The path to mount, with an optional query.
    pub path: String,
    /// The render data of the page in the browser, or `null`.
    #[serde(default, deserialize_with = "optional_object")]
    pub render: Option<RenderData>,
}

/// A checked `event` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The path of the mounted route.
    pub path: String,
    /// The handler ID from a `data-trellis-<event>` attribute.
    pub handler: u32,
    /// The event's data.
    #[serde(default, deserialize_with = "object")]
    pub payload: Payload,
}

/// The data of a UI event.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The value of an input or change event.
    pub value: Option<String>,
    /// The fields of a submit event.
    pub form: Option<Vec<(String, String)>>,
}

/// A checked `unmount` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unmount {
    /// The path of the mounted route.
    pub path: String,
}

/// Parses the data of a client message into `T`, with an error message for
/// the client when it has the wrong shape.
///
/// The data must be a JSON object. serde's derived structs would also take
/// an array of the field values in order, which the protocol does not
/// allow.
pub fn parse<T: DeserializeOwned>(event: &str, data: serde_json::Value) -> Result<T, String> {
    if !data.is_object() {
        return Err(format!(
            "invalid `{event}` data: expected an object, got {data}"
        ));
    }
    serde_json::from_value(data).map_err(|error| format!("invalid `{event}` data: {error}"))
}

/// Deserializes a struct field that must be a JSON object (not an array).
fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<T, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(D::Error::custom(format!("expected an object, got {value}")));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

/// As [`object`], for a field that may also be `null`.
fn optional_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(D::Error::custom(format!(
            "expected an object or null, got {value}"
        )));
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(D::Error::custom)
}

/// Checks a path the client sent: it must start with `/` and fit the limit.
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with `/`"));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(format!(
            "path of {} bytes is longer than the limit of {MAX_PATH_LEN}",
            path.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_event_with_form() {
        let data = json!({"path": "/", "handler": 3, "payload": {"form": [["title", "milk"]]}});

        let event: Event = parse("event", data).unwrap();

        assert_eq!(event.handler, 3);
        assert_eq!(
            event.payload.form,
            Some(vec![("title".to_string(), "milk".to_string())])
        );
    }

    #[test]
    fn rejects_wrong_shapes() {
        let cases = [
            json!({"path": "/", "handler": -1}),
            json!({"path": "/", "handler": "3"}),
            json!({"path": 5, "handler": 3}),
            json!({"path": "/", "handler": 3, "extra": true}),
            json!([1, 2]),
            json!(["/", 3, {}]),
            json!({"path": "/", "handler": 3, "payload": ["x", null]}),
        ];

        for data in cases {
            assert!(parse::<Event>("event", data.clone()).is_err(), "{data}");
        }
    }

    #[test]
    fn checks_paths() {
        assert!(check_path("/a?b=1").is_ok());
        assert!(check_path("a").is_err());
        assert!(check_path(&format!("/{}", "a".repeat(MAX_PATH_LEN))).is_err());
    }
}
