//! SDK values → the JSON the AWS CLI prints.
//!
//! The SDK's types have no serde, but every one carries its Smithy schema; the SDK's own JSON
//! codec serialises any of them by that schema. With member names (not `@jsonName`) and ISO 8601
//! timestamps this is the JSON the AWS CLI prints for the same answer: camelCase for ECS,
//! PascalCase for IAM and ELBv2, only the fields the API returned (unset members are skipped).
//! Files and live import therefore share one model: the importers in `import::*` read both.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{SerializableStruct, ShapeSerializer};
use serde_json::{Map, Value};
use std::sync::LazyLock;

static CODEC: LazyLock<JsonCodec> = LazyLock::new(|| {
    JsonCodec::new(
        JsonCodecSettings::builder()
            .use_json_name(false)
            .default_timestamp_format(aws_smithy_types::date_time::Format::DateTime)
            .build(),
    )
});

/// One SDK structure as CLI JSON.
pub fn to_value(value: &dyn SerializableStruct) -> Result<Value, String> {
    let mut ser = CODEC.create_serializer();
    ser.write_struct(value.schema(), value)
        .map_err(|e| format!("cannot serialise {}: {e}", value.schema().shape_id()))?;
    let bytes = ser.finish();
    serde_json::from_slice(&bytes).map_err(|e| format!("the SDK wrote invalid JSON: {e}"))
}

/// A list of SDK structures as a JSON array.
pub fn to_values<T: SerializableStruct>(values: &[T]) -> Result<Value, String> {
    values
        .iter()
        .map(|v| to_value(v))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// Sorts every object's keys (the SDK keeps string maps such as `dockerLabels` in hash maps) and
/// every `tags`/`Tags` list by key, so that an unchanged account gives byte-identical files.
/// Other lists keep the API's order (containers, environment, rules are ordered). Members that
/// are `null` are left out, as the CLI leaves them out.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                if v.is_null() {
                    continue;
                }
                let v = canonical(v);
                let v = if k == "tags" || k == "Tags" {
                    sort_tags(v)
                } else {
                    v
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn sort_tags(v: Value) -> Value {
    match v {
        Value::Array(mut tags) => {
            let key = |t: &Value| {
                t.get("key")
                    .or_else(|| t.get("Key"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            tags.sort_by_key(key);
            Value::Array(tags)
        }
        other => other,
    }
}

/// Removes `keys` from an object (volatile state: counts, events, timestamps).
pub fn strip(value: &mut Value, keys: &[&str]) {
    if let Value::Object(map) = value {
        for k in keys {
            map.shift_remove(*k);
        }
    }
}

/// JSON-protocol answers carry timestamps as epoch seconds; the CLI prints ISO 8601. Converts the
/// members named `keys` at any depth.
pub fn epoch_to_iso(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if keys.contains(&k.as_str())
                    && let Some(secs) = v.as_f64()
                    && let Ok(s) = aws_smithy_types::DateTime::from_secs_f64(secs)
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                {
                    *v = Value::String(s);
                } else {
                    epoch_to_iso(v, keys);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| epoch_to_iso(v, keys)),
        _ => {}
    }
}

/// Pretty JSON with a final newline, as files in Git want it.
pub fn render(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// IAM returns policy documents URL-encoded (RFC 3986); the CLI prints them decoded, as JSON.
pub fn decode_policy_document(encoded: &str) -> Value {
    let decoded = percent_decode(encoded);
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_and_tags_but_not_other_lists() {
        let v =
            json!({"b": 1, "n": null, "a": {"z": [3, 1], "tags": [{"key": "y"}, {"key": "x"}]}});
        assert_eq!(
            render(&canonical(v)),
            "{\n  \"a\": {\n    \"tags\": [\n      {\n        \"key\": \"x\"\n      },\n      {\n        \"key\": \"y\"\n      }\n    ],\n    \"z\": [\n      3,\n      1\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn policy_documents_are_url_decoded() {
        let doc = decode_policy_document(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
        );
        assert_eq!(doc, json!({"Version": "2012-10-17", "Statement": []}));
        assert_eq!(decode_policy_document("100%"), json!("100%"));
    }
}
