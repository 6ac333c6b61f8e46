//! Event payloads and the return type of event handlers.

use std::fmt::Display;

/// The data that comes with a UI event, as the host delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A click, or any event without data.
    None,
    /// The `value` of the element that fired an `input` or `change` event.
    Value(String),
    /// The fields of the form that fired a `submit` event.
    Form(Form),
}

impl Payload {
    /// Returns the payload's name as the WIT contract spells it, for error
    /// messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Value(_) => "value",
            Self::Form(_) => "form",
        }
    }

    /// Takes the value. The caller has checked the variant.
    pub(crate) fn into_value(self) -> String {
        match self {
            Self::Value(value) => value,
            Self::None | Self::Form(_) => String::new(),
        }
    }

    /// Takes the form. The caller has checked the variant.
    pub(crate) fn into_form(self) -> Form {
        match self {
            Self::Form(form) => form,
            Self::None | Self::Value(_) => Form::default(),
        }
    }
}

/// The fields of a submitted form: name-value pairs in document order.
///
/// A name may repeat, as it does for a group of checkboxes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Returns the value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the values of every field named `name`, in document order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns every field as a name-value pair, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Returns the number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Returns true when the form has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Returns the fields as name-value pairs.
    pub fn into_fields(self) -> Vec<(String, String)> {
        self.fields
    }
}

impl From<Vec<(String, String)>> for Form {
    fn from(fields: Vec<(String, String)>) -> Self {
        Self { fields }
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Form {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(fields: I) -> Self {
        Self {
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        }
    }
}

/// The return type of an event handler: `()`, or a `Result<(), E>` whose
/// error becomes the event's error message.
///
/// A handler that returns an error has still run, so state that it changed
/// before it failed stays changed.
pub trait HandlerResult {
    /// Converts the handler's return value into the event's outcome.
    ///
    /// # Errors
    ///
    /// Returns the error's `Display` text when the handler failed.
    fn into_result(self) -> Result<(), String>;
}

impl HandlerResult for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Display> HandlerResult for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}
