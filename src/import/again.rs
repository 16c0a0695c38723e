//! The second read of a task definition or service, when its app is converted: the first read
//! (`read_files`) kept only its identity and where it is.
//!
//! A task definition's file holds that one value (with the describe output's wrapper), so it is
//! read whole by the first read's own code. A service is picked out of its file (describe-services
//! holds several) by its JSON path, skipping the rest of the file without building it, and read by
//! the same per-value code. Either way a value reads the same both times; a file that changed in
//! between is an error naming it.

use super::{Read, read_whole, services};
use crate::error::InputError;
use crate::model::ecs::{Service, ServiceIdentity, TaskDefinition, TaskDefinitionIdentity};
use crate::model::read::{Located, Sourced};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};
use serde_json::Value;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A kind the first read keeps by identity.
pub trait ReadAgain: Sized {
    type Identity: PartialEq;
    fn identity(&self) -> Self::Identity;
    /// The value at `path` of `input`'s `bytes`, read as the first read did.
    fn read_at(input: &str, path: &str, bytes: &[u8]) -> Result<Sourced<Self>, InputError>;
}

impl ReadAgain for TaskDefinition {
    type Identity = TaskDefinitionIdentity;
    fn identity(&self) -> TaskDefinitionIdentity {
        TaskDefinition::identity(self)
    }
    fn read_at(input: &str, path: &str, bytes: &[u8]) -> Result<Sourced<Self>, InputError> {
        let Read {
            inputs,
            task_definitions,
            ..
        } = read_whole(input, bytes, false);
        task_definitions
            .into_iter()
            .find(|td| td.path == path)
            .ok_or_else(|| {
                let first = inputs.errors.into_iter().next();
                first.unwrap_or_else(|| changed(input, path))
            })
    }
}

impl ReadAgain for Service {
    type Identity = ServiceIdentity;
    fn identity(&self) -> ServiceIdentity {
        Service::identity(self)
    }
    fn read_at(input: &str, path: &str, bytes: &[u8]) -> Result<Sourced<Self>, InputError> {
        let raw = at_path::<Value>(bytes, path).ok_or_else(|| changed(input, path))?;
        services::one(input, path, raw, true)
    }
}

/// The task definition or service `located` names, read whole again: from its file, or from the
/// bytes kept of a pipe.
pub fn read_again<T: ReadAgain>(located: &Located<T::Identity>) -> Result<Sourced<T>, InputError> {
    let (input, path) = (&*located.input, &*located.path);
    let bytes: Cow<[u8]> = match &located.kept {
        Some(bytes) => Cow::Borrowed(bytes),
        None => Cow::Owned(std::fs::read(input).map_err(|e| InputError::Read {
            input: input.to_string(),
            message: e.to_string(),
        })?),
    };
    let value = T::read_at(input, path, &bytes)?;
    // The value the apps were planned by, or the file changed in between.
    if value.value.identity() != located.id {
        return Err(changed(input, path));
    }
    Ok(value)
}

fn changed(input: &str, path: &str) -> InputError {
    InputError::Unconvertible {
        input: input.to_string(),
        message: format!(
            "at `{}`: the file changed while ecs2eks ran (it is read twice); run again",
            if path.is_empty() { "." } else { path }
        ),
    }
}

/// The value at `path` (`""`, `key`, `key[3]`, `a.b[0].c`) of a JSON document, or None when the
/// document has no such value or it does not deserialize as a `T`.
fn at_path<T: DeserializeOwned>(bytes: &[u8], path: &str) -> Option<T> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let steps = steps(path)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = At::<T> {
        steps: &steps,
        found: PhantomData,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// Deserializes the value `steps` lead to, skipping everything else without building it.
struct At<'s, 'p, T> {
    steps: &'s [Step<'p>],
    found: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for At<'_, '_, T> {
    type Value = T;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        match self.steps.first() {
            None => T::deserialize(d),
            Some(Step::Key(_)) => d.deserialize_map(self),
            Some(Step::Index(_)) => d.deserialize_seq(self),
        }
    }
}

impl<'de, T: DeserializeOwned> de::Visitor<'de> for At<'_, '_, T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the value at the input's JSON path")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let Some(Step::Key(key)) = self.steps.first() else {
            return Err(de::Error::custom("not an object"));
        };
        let mut found = None;
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            if k == *key {
                // A repeated key: the last one counts, as in the first read.
                found = Some(map.next_value_seed(At::<T> {
                    steps: &self.steps[1..],
                    found: PhantomData,
                })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| de::Error::custom("no such key"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let Some(Step::Index(index)) = self.steps.first() else {
            return Err(de::Error::custom("not an array"));
        };
        for _ in 0..*index {
            seq.next_element::<IgnoredAny>()?
                .ok_or_else(|| de::Error::custom("index out of range"))?;
        }
        let value = seq
            .next_element_seed(At::<T> {
                steps: &self.steps[1..],
                found: PhantomData,
            })?
            .ok_or_else(|| de::Error::custom("index out of range"))?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_value_at_a_path_and_skips_the_rest() {
        let doc =
            br#"{"a": 1, "services": [{"x": 1}, {"x": 2, "y": [3]}, {"x": 3}], "z": {"k": "v"}}"#;
        assert_eq!(
            at_path::<Value>(doc, "services[1]"),
            Some(json!({"x": 2, "y": [3]}))
        );
        assert_eq!(at_path::<Value>(doc, "services[1].y[0]"), Some(json!(3)));
        assert_eq!(at_path::<Value>(doc, "z.k"), Some(json!("v")));
        assert_eq!(at_path::<i64>(doc, "a"), Some(1));
        assert_eq!(
            at_path::<Value>(doc, "").map(|v| v["a"].clone()),
            Some(json!(1))
        );
        assert_eq!(at_path::<Value>(doc, "services[3]"), None);
        assert_eq!(at_path::<Value>(doc, "missing"), None);
        assert_eq!(at_path::<Value>(doc, "a[0]"), None);
        // The first read (serde_json's Value) keeps the last of a repeated key.
        assert_eq!(at_path::<i64>(br#"{"a": 1, "a": 2}"#, "a"), Some(2));
        // A byte-order mark, as the first read allows.
        assert_eq!(
            at_path::<i64>("\u{feff}{\"a\": 5}".as_bytes(), "a"),
            Some(5)
        );
        // Trailing garbage is not a document.
        assert_eq!(at_path::<i64>(br#"{"a": 1} x"#, "a"), None);
    }

    /// A repeated field: the first read (through `Value`) keeps the last, and so does the second;
    /// another value of the file that does not read is not this one's error; a file that changed
    /// is an error naming it.
    #[test]
    fn a_value_reads_the_same_both_times_or_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("td.json");
        let td = r#"{"taskDefinition": {"family": "web", "memory": "512", "memory": "2048",
            "containerDefinitions": [{"name": "app", "image": "nginx"}]},
            "tags": [{"key": "team", "value": "a"}]}"#;
        std::fs::write(&file, td).unwrap();
        let read = super::super::read_files(vec![file.clone()]);
        let located = &read.task_definitions[0];
        assert!(located.kept.is_none());
        let whole: Sourced<TaskDefinition> = read_again(located).unwrap();
        assert_eq!(whole.value.memory.as_deref(), Some("2048"));
        assert_eq!(whole.value.container_definitions.len(), 1);
        // The first read's findings are made again (here, the describe output's tags).
        assert!(
            whole.findings.iter().any(|f| f.field == "tags"),
            "{:?}",
            whole.findings
        );
        let two = dir.path().join("two.json");
        std::fs::write(
            &two,
            r#"{"services": [{"serviceName": "a", "desiredCount": 1, "desiredCount": 2},
                            {"serviceName": "b", "desiredCount": {}}]}"#,
        )
        .unwrap();
        let read = super::super::read_files(vec![two.clone()]);
        assert_eq!((read.services.len(), read.errors.len()), (1, 1));
        let a: Sourced<Service> = read_again(&read.services[0]).unwrap();
        assert_eq!(a.value.desired_count, Some(2));
        // Gone, or no longer holding the value: an error naming the file.
        std::fs::write(&file, r#"{"services": []}"#).unwrap();
        let e = read_again::<TaskDefinition>(located)
            .unwrap_err()
            .to_string();
        assert!(e.contains("td.json") && e.contains("changed"), "{e}");
        std::fs::write(&file, td.replace("\"web\"", "\"api\"")).unwrap();
        let e = read_again::<TaskDefinition>(located)
            .unwrap_err()
            .to_string();
        assert!(e.contains("td.json") && e.contains("changed"), "{e}");
    }
}
