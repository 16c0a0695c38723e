//! YAML rendering: one function, so every writer quotes and orders the same way.

use serde::Serialize;

/// One YAML document (no leading `---`), keys in the order the value holds them.
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    serde_norway::to_string(value).expect("generated values serialise to YAML")
}

/// Several documents joined by `---` lines.
pub fn documents<'a, T: Serialize + 'a>(values: impl IntoIterator<Item = &'a T>) -> String {
    values
        .into_iter()
        .map(|v| to_yaml(v))
        .collect::<Vec<_>>()
        .join("---\n")
}
