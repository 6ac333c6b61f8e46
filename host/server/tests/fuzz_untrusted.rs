//! Property-based fuzz tests of the server's decoders of client input: the
//! `mount`, `event` and `unmount` message data, session cookies and replay
//! tokens. Each property checks that the decoder never panics and accepts
//! only well-formed input, and that no cookie or token verifies unless
//! `SessionId::cookie_value` or `replay::issue` made it.
//!
//! `PROPTEST_CASES=100000 cargo test -p trellis-server --test fuzz_untrusted`
//! runs more cases than the default 256.

use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use trellis_server::messages::{Event, Mount, Unmount, parse};
use trellis_server::{ServerKey, SessionId, replay};

const MAX_AGE_SECS: u64 = 3600;
const ISSUED_SECS: u64 = 1_700_000_000;

fn now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .expect("the clock is after 1970")
}

/// Arbitrary JSON, biased toward the fields and types of client messages.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop_oneof![
            (0u64..8).prop_map(Value::from),
            Just(json!(-1)),
            Just(json!(4_294_967_295u64)),
            Just(json!(4_294_967_296u64)),
            Just(json!(3.0)),
            Just(json!(0.5)),
        ],
        prop_oneof![Just("/"), Just("/a?b=1"), Just("x"), Just("")].prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        let names = prop_oneof![
            3 => prop_oneof![
                Just("path"), Just("handler"), Just("payload"), Just("render"),
                Just("value"), Just("form"), Just("renderId"), Just("prerendered"),
                Just("replay"),
            ].prop_map(String::from),
            1 => "[a-z]{1,6}",
        ];
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((names, inner), 0..5)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Wraps arbitrary field values into objects with the message's keys, so
/// that many cases get past the outer shape.
fn arb_message() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        Just("path"),
        Just("handler"),
        Just("payload"),
        Just("render"),
        Just("extra"),
    ];
    prop_oneof![
        1 => arb_json(),
        3 => vec((names, arb_json()), 0..4).prop_map(|fields| {
            Value::Object(
                fields
                    .into_iter()
                    .map(|(name, value)| (name.to_string(), value))
                    .collect(),
            )
        }),
    ]
}

/// Checks that `value` is an object whose keys are among `allowed` and
/// include `required`, and returns its fields.
fn fields<'a>(
    value: &'a Value,
    allowed: &[&str],
    required: &[&str],
) -> Option<&'a Map<String, Value>> {
    let object = value.as_object()?;
    let known = object.keys().all(|key| allowed.contains(&key.as_str()));
    let complete = required.iter().all(|key| object.contains_key(*key));
    (known && complete).then_some(object)
}

fn is_u32(value: &Value) -> bool {
    value
        .as_u64()
        .is_some_and(|number| number <= u64::from(u32::MAX))
}

/// Checks `value` against the `event` data form of docs/protocol.md: `path`
/// and `handler`, and an optional `payload` object with an optional `value`
/// string and an optional `form` list of `[name, value]` string pairs.
fn is_event_form(value: &Value) -> bool {
    let Some(event) = fields(value, &["path", "handler", "payload"], &["path", "handler"]) else {
        return false;
    };
    let payload_valid = match event.get("payload") {
        None => true,
        Some(payload) => fields(payload, &["value", "form"], &[]).is_some_and(|payload| {
            let value_valid = payload
                .get("value")
                .is_none_or(|value| value.is_null() || value.is_string());
            let form_valid = payload.get("form").is_none_or(|form| {
                form.is_null()
                    || form.as_array().is_some_and(|pairs| {
                        pairs.iter().all(|pair| {
                            pair.as_array().is_some_and(|pair| {
                                pair.len() == 2 && pair.iter().all(Value::is_string)
                            })
                        })
                    })
            });
            value_valid && form_valid
        }),
    };
    event["path"].is_string() && is_u32(&event["handler"]) && payload_valid
}

/// Checks `value` against the `mount` data form: `path` and an optional
/// `render` that is `null` or the page's render data, whose unknown keys
/// are ignored.
fn is_mount_form(value: &Value) -> bool {
    let Some(mount) = fields(value, &["path", "render"], &["path"]) else {
        return false;
    };
    let render_valid = match mount.get("render") {
        None | Some(Value::Null) => true,
        Some(render) => render.as_object().is_some_and(|render| {
            render.get("path").is_some_and(Value::is_string)
                && render.get("renderId").is_some_and(Value::is_string)
                && render.get("prerendered").is_some_and(Value::is_boolean)
                && render.get("replay").is_none_or(Value::is_string)
        }),
    };
    mount["path"].is_string() && render_valid
}

fn is_unmount_form(value: &Value) -> bool {
    fields(value, &["path"], &["path"]).is_some_and(|unmount| unmount["path"].is_string())
}

/// One edit of a hex string.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Remove(usize),
    /// Uppercases one character, which names the same byte in lax hex.
    Uppercase(usize),
    /// Replaces a `0` that starts a digit pair with `+`, which
    /// `u8::from_str_radix` reads as the same byte.
    PlusSign(usize),
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    let hex_like: Vec<char> = "0123456789abcdefABCDEF+- ".chars().collect();
    let character = prop_oneof![3 => proptest::sample::select(hex_like), 1 => any::<char>()];
    prop_oneof![
        (any::<usize>(), character.clone()).prop_map(|(at, c)| Edit::Replace(at, c)),
        (any::<usize>(), character).prop_map(|(at, c)| Edit::Insert(at, c)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Uppercase),
        any::<usize>().prop_map(Edit::PlusSign),
    ]
}

fn edit(text: &str, change: &Edit) -> String {
    let mut characters: Vec<char> = text.chars().collect();
    if characters.is_empty() {
        return text.to_string();
    }
    let length = characters.len();
    match *change {
        Edit::Replace(at, character) => characters[at % length] = character,
        Edit::Insert(at, character) => characters.insert(at % (length + 1), character),
        Edit::Remove(at) => {
            characters.remove(at % length);
        }
        Edit::Uppercase(at) => {
            characters[at % length] = characters[at % length].to_ascii_uppercase()
        }
        Edit::PlusSign(at) => {
            let start = at % length;
            let zero = (start..length)
                .chain(0..start)
                .find(|&index| index % 2 == 0 && characters[index] == '0');
            if let Some(index) = zero {
                characters[index] = '+';
            }
        }
    }
    characters.into_iter().collect()
}

proptest! {
    #[test]
    fn parse_event_matches_form(value in arb_message()) {
        let result = parse::<Event>("event", value.clone());

        prop_assert_eq!(result.is_ok(), is_event_form(&value), "{}", value);
    }

    #[test]
    fn parse_mount_matches_form(value in arb_message()) {
        let result = parse::<Mount>("mount", value.clone());

        prop_assert_eq!(result.is_ok(), is_mount_form(&value), "{}", value);
    }

    #[test]
    fn parse_unmount_matches_form(value in arb_message()) {
        let result = parse::<Unmount>("unmount", value.clone());

        prop_assert_eq!(result.is_ok(), is_unmount_form(&value), "{}", value);
    }

    #[test]
    fn verify_cookie_rejects_arbitrary(text in prop_oneof![".*", "[0-9a-fA-F+]{80}"]) {
        let key = ServerKey::generate();

        let result = SessionId::verify_cookie(&key, &text, MAX_AGE_SECS, ISSUED_SECS);

        prop_assert!(result.is_err(), "accepted {:?}", text);
    }

    #[test]
    fn verify_cookie_rejects_edited(edits in vec(arb_edit(), 1..3)) {
        let key = ServerKey::generate();
        let session = SessionId::generate();
        let valid = session.cookie_value(&key, ISSUED_SECS);
        let mut text = valid.clone();

        for change in &edits {
            text = edit(&text, change);
        }

        let result = SessionId::verify_cookie(&key, &text, MAX_AGE_SECS, ISSUED_SECS);
        if text == valid {
            prop_assert_eq!(result, Ok(session));
        } else {
            prop_assert!(result.is_err(), "accepted {:?}, edited from {:?}", text, valid);
        }
    }

    #[test]
    fn replay_verify_rejects_arbitrary(
        text in prop_oneof![".*", "[0-9a-fA-F+]{80}"],
        path in prop_oneof![Just("/".to_string()), ".*"],
    ) {
        let key = ServerKey::generate();
        let session = SessionId::generate();

        let result = replay::verify(&key, &session, &path, &text, now());

        prop_assert!(result.is_err(), "accepted {:?}", text);
    }

    #[test]
    fn replay_verify_rejects_edited(edits in vec(arb_edit(), 1..3)) {
        let key = ServerKey::generate();
        let session = SessionId::generate();
        let (replay, valid) = replay::issue(&key, &session, "/lucky");
        let mut text = valid.clone();

        for change in &edits {
            text = edit(&text, change);
        }

        let result = replay::verify(&key, &session, "/lucky", &text, now());
        if text == valid {
            prop_assert_eq!(result, Ok(replay));
        } else {
            prop_assert!(result.is_err(), "accepted {:?}, edited from {:?}", text, valid);
        }
    }
}
