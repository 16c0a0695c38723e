//! What a run holds of each task definition and service until it converts it (`Kept`), and
//! reading it again then (`whole`). `read_files` keeps only their identity, parked in the run's
//! temporary file (`Parked`), so a large run never holds every input at once, nor every identity.
//!
//! The second read deserializes the one value straight from the file's bytes, skipping the rest
//! of the file. What that refuses goes through the first read's own code (`read_bytes`), so a
//! value reads the same both times. A file that no longer holds a valid value there is an error.

use super::{Inputs, Sourced, read_bytes};
use crate::diagnostics::codec::{
    put_option, put_optional_text, put_text, put_texts, take, take_option, take_optional_text,
    take_text, take_texts,
};
use crate::diagnostics::{Finding, FindingsFile, Spilled, Stored};
use crate::error::InputError;
use crate::model::ecs::{Place, Service, ServiceIdentity, TaskDefinition, TaskDefinitionIdentity};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

/// An input kept by identity between its two reads.
pub trait Reread: DeserializeOwned + Clone {
    /// What it is called in an error ("task definition").
    const KIND: &'static str;
    /// What finds and groups it before it is converted.
    type Identity: std::fmt::Debug + Clone;
    fn identity(&self) -> Self::Identity;
    /// This kind's entries in what `read_bytes` gives.
    fn entries(inputs: Inputs) -> Vec<Parked<Self>>;
    /// The first read's checks after deserializing.
    fn check(input: &str, path: &str, value: Self) -> Result<Self, InputError>;
    /// The identity in a record of the run's file (`Parked`): every field, by name, so a new one
    /// cannot be forgotten.
    fn put_identity(id: &Self::Identity, out: &mut Vec<u8>);
    fn take_identity(bytes: &mut &[u8]) -> Option<Self::Identity>;
}

impl Reread for TaskDefinition {
    const KIND: &'static str = "task definition";
    type Identity = TaskDefinitionIdentity;
    fn identity(&self) -> TaskDefinitionIdentity {
        TaskDefinition::identity(self)
    }
    fn entries(inputs: Inputs) -> Vec<Parked<Self>> {
        inputs.task_definitions
    }
    fn check(input: &str, path: &str, value: Self) -> Result<Self, InputError> {
        super::task_definitions::validate(input, path, value)
    }
    fn put_identity(id: &TaskDefinitionIdentity, out: &mut Vec<u8>) {
        let TaskDefinitionIdentity {
            family,
            arn,
            revision,
            place,
        } = id;
        put_optional_text(out, family.as_deref());
        put_optional_text(out, arn.as_deref());
        put_option(out, *revision);
        put_place(place, out);
    }
    fn take_identity(bytes: &mut &[u8]) -> Option<TaskDefinitionIdentity> {
        Some(TaskDefinitionIdentity {
            family: take_optional_text(bytes)?.map(Box::from),
            arn: take_optional_text(bytes)?.map(Box::from),
            revision: take_option(bytes)?,
            place: take_place(bytes)?,
        })
    }
}

impl Reread for Service {
    const KIND: &'static str = "service";
    type Identity = ServiceIdentity;
    fn identity(&self) -> ServiceIdentity {
        Service::identity(self)
    }
    fn entries(inputs: Inputs) -> Vec<Parked<Self>> {
        inputs.services
    }
    fn check(_: &str, _: &str, value: Self) -> Result<Self, InputError> {
        Ok(value)
    }
    fn put_identity(id: &ServiceIdentity, out: &mut Vec<u8>) {
        let ServiceIdentity {
            name,
            task_definition,
            place,
            cluster,
            target_group_arns,
        } = id;
        put_optional_text(out, name.as_deref());
        put_optional_text(out, task_definition.as_deref());
        put_place(place, out);
        put_text(out, cluster);
        let arns = target_group_arns.iter().map(|a| &**a);
        put_texts(out, arns, target_group_arns.len());
    }
    fn take_identity(bytes: &mut &[u8]) -> Option<ServiceIdentity> {
        Some(ServiceIdentity {
            name: take_optional_text(bytes)?.map(Box::from),
            task_definition: take_optional_text(bytes)?.map(Box::from),
            place: take_place(bytes)?,
            cluster: take_text(bytes)?.into(),
            target_group_arns: take_texts(bytes)?.into_iter().map(Box::from).collect(),
        })
    }
}

fn put_place(place: &Place, out: &mut Vec<u8>) {
    let Place { account, region } = place;
    put_text(out, account);
    put_text(out, region);
}

fn take_place(bytes: &mut &[u8]) -> Option<Place> {
    Some(Place {
        account: take_text(bytes)?.into(),
        region: take_text(bytes)?.into(),
    })
}

/// A task definition or service between its two reads: where it was read, its identity, and the
/// whole value only when it cannot be read again (a pipe, or memory). A large run parks it in its
/// temporary file (`Parked`) and reads it back to plan and to convert it.
#[derive(Debug, Clone)]
pub struct Kept<T: Reread> {
    /// The file, as the user named it.
    pub input: Box<str>,
    /// JSON path of the value inside the file ("" for the whole file).
    pub path: Box<str>,
    pub id: T::Identity,
    held: Held<T>,
}

#[derive(Debug, Clone)]
enum Held<T> {
    Whole(Box<Sourced<T>>),
    /// Read again from its file when converted; the first read's findings, here or moved to a
    /// findings file.
    Reread(Option<(Arc<FindingsFile>, Spilled)>, Vec<Finding>),
}

impl<T: Reread> Kept<T> {
    pub fn whole(value: Sourced<T>) -> Self {
        Kept {
            input: value.input.as_str().into(),
            path: value.path.as_str().into(),
            id: value.value.identity(),
            held: Held::Whole(Box::new(value)),
        }
    }

    /// Drops all but the identity (the file can be read again), moving the first read's findings
    /// to `file` when there is one.
    fn keep_identity(&mut self, file: Option<&Arc<FindingsFile>>) {
        let Held::Whole(whole) = &mut self.held else {
            return;
        };
        let findings = std::mem::take(&mut whole.findings);
        self.held = match file.filter(|_| !findings.is_empty()) {
            Some(file) => match file.put(&findings) {
                Some(spilled) => Held::Reread(Some((file.clone(), spilled)), Vec::new()),
                None => Held::Reread(None, findings),
            },
            None => Held::Reread(None, findings),
        };
    }

    /// True when only its identity is held (`whole` reads it again).
    pub fn by_identity(&self) -> bool {
        matches!(self.held, Held::Reread(..))
    }

    /// The value, when it is held whole.
    #[cfg(test)]
    fn held_whole(&self) -> Option<&Sourced<T>> {
        match &self.held {
            Held::Whole(whole) => Some(whole),
            Held::Reread(..) => None,
        }
    }
}

/// A task definition or service between its two reads, as `read_files` leaves it: its `Kept`
/// parked in the run's file as a record (so a large run holds 24 bytes of each until it plans
/// and converts it, reading the record back each time), or in memory when there is no file or
/// the value is held whole (a pipe's).
#[derive(Debug)]
pub enum Parked<T: Reread> {
    Here(Box<Kept<T>>),
    Filed(Stored),
}

impl<T: Reread> Parked<T> {
    /// Keeps only the identity (`Kept::keep_identity`) and parks it in `file`, when there is one
    /// and the file can be read again.
    pub fn keep_identity(&mut self, file: Option<&Arc<FindingsFile>>) {
        let Parked::Here(kept) = self else {
            return;
        };
        kept.keep_identity(file);
        let Some(file) = file else {
            return;
        };
        // A value held whole (a pipe's), or whose findings stayed in memory, stays here; the
        // findings of a parked one are in the same file as its record.
        let spilled = match &kept.held {
            Held::Reread(moved, here) if here.is_empty() => moved.as_ref().map(|(_, s)| *s),
            _ => return,
        };
        let mut record = Vec::new();
        put_text(&mut record, &kept.input);
        put_text(&mut record, &kept.path);
        T::put_identity(&kept.id, &mut record);
        match spilled {
            None => record.push(0),
            Some(spilled) => {
                record.push(1);
                spilled.encode(&mut record);
            }
        }
        if let Some(at) = file.put_bytes(&record) {
            *self = Parked::Filed(at);
        }
    }

    /// True when only its identity is held (`whole` reads it again).
    pub fn by_identity(&self) -> bool {
        match self {
            Parked::Here(kept) => kept.by_identity(),
            Parked::Filed(_) => true,
        }
    }

    /// The kept value, read back from `file` when it was parked there. `position`: where it is
    /// among its kind's inputs, to name it when the record cannot be read back.
    pub fn get(
        &self,
        position: usize,
        file: Option<&Arc<FindingsFile>>,
    ) -> Result<Cow<'_, Kept<T>>, InputError> {
        let at = match self {
            Parked::Here(kept) => return Ok(Cow::Borrowed(kept)),
            Parked::Filed(at) => at,
        };
        let unread =
            |message: &dyn std::fmt::Display| InputError::unread(T::KIND, position, message);
        let file = file.ok_or_else(|| unread(&"no file"))?;
        let record = file.get_bytes(at).map_err(|e| unread(&e))?;
        let kept = decode_kept::<T>(&mut record.as_slice(), file);
        kept.map(Cow::Owned)
            .ok_or_else(|| unread(&"corrupt record"))
    }
}

fn decode_kept<T: Reread>(bytes: &mut &[u8], file: &Arc<FindingsFile>) -> Option<Kept<T>> {
    let input = take_text(bytes)?.into();
    let path = take_text(bytes)?.into();
    let id = T::take_identity(bytes)?;
    let moved = match take(bytes, 1)?[0] {
        0 => None,
        1 => Some((file.clone(), Spilled::decode(bytes)?)),
        _ => return None,
    };
    bytes.is_empty().then_some(Kept {
        input,
        path,
        id,
        held: Held::Reread(moved, Vec::new()),
    })
}

/// The whole of `kept`: itself when it was kept whole, else read again from its file, with its
/// first-read findings.
pub fn whole<T: Reread>(kept: &Kept<T>) -> Result<Cow<'_, Sourced<T>>, InputError> {
    let (moved, here) = match &kept.held {
        Held::Whole(whole) => return Ok(Cow::Borrowed(whole)),
        Held::Reread(moved, here) => (moved, here),
    };
    let changed = || InputError::Unconvertible {
        input: kept.input.to_string(),
        message: format!(
            "at `{}`: the file changed while ecs2eks ran (it is read twice); run again",
            if kept.path.is_empty() {
                "."
            } else {
                &kept.path
            }
        ),
    };
    let bytes = std::fs::read(&*kept.input).map_err(|e| InputError::Read {
        input: kept.input.to_string(),
        message: e.to_string(),
    })?;
    let fast =
        at_path::<T>(&bytes, &kept.path).and_then(|v| T::check(&kept.input, &kept.path, v).ok());
    let value = match fast {
        Some(value) => value,
        None => {
            // The first read's code: the same checks, errors and values. Errors of the file's
            // other values are theirs, not this one's.
            let mut again = Inputs::default();
            read_bytes(&kept.input, &bytes, &mut again);
            let errors = std::mem::take(&mut again.errors);
            let found = T::entries(again).into_iter().find_map(|s| match s {
                Parked::Here(s) if s.path == kept.path => match s.held {
                    Held::Whole(whole) => Some(whole.value),
                    Held::Reread(..) => None,
                },
                _ => None,
            });
            match found {
                Some(value) => value,
                None => {
                    return Err(errors
                        .into_iter()
                        .find(|e| match e {
                            InputError::Field { path, .. } => {
                                // This value or a field inside it (`services[1]`, not `[10]`).
                                path.strip_prefix(&*kept.path).is_some_and(|rest| {
                                    kept.path.is_empty()
                                        || rest.is_empty()
                                        || rest.starts_with(['.', '['])
                                })
                            }
                            InputError::Unconvertible { .. } => false,
                            _ => true, // the whole file
                        })
                        .unwrap_or_else(changed));
                }
            }
        }
    };
    Ok(Cow::Owned(Sourced {
        input: kept.input.to_string(),
        path: kept.path.to_string(),
        value,
        // The first read's findings, wherever they wait.
        findings: match moved {
            Some((file, spilled)) => file.get(spilled).map_err(|e| InputError::Read {
                input: kept.input.to_string(),
                message: format!(
                    "its findings could not be read back from the temporary file: {e}"
                ),
            })?,
            None => here.clone(),
        },
    }))
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
    use serde_json::{Value, json};

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

    /// The first read's findings wait in the findings file and come back with the value.
    #[test]
    fn findings_of_a_value_kept_by_identity_come_back_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("td.json");
        let td = r#"{"taskDefinition": {"family": "web", "notAnEcsField": 1,
            "containerDefinitions": [{"name": "app", "image": "nginx"}]},
            "tags": [{"key": "team", "value": "a"}]}"#;
        std::fs::write(&file, td).unwrap();
        let mut in_memory = Inputs::default();
        read_bytes("td.json", td.as_bytes(), &mut in_memory);
        let Parked::Here(in_memory) = &in_memory.task_definitions[0] else {
            panic!("read_bytes keeps values whole")
        };
        let expected = &in_memory.held_whole().unwrap().findings;
        assert!(!expected.is_empty());
        let read = super::super::read_files(vec![file.clone()]);
        let parked = &read.task_definitions[0];
        assert!(matches!(parked, Parked::Filed(_)));
        let kept = parked.get(0, read.findings_file.as_ref()).unwrap();
        assert!(matches!(kept.held, Held::Reread(Some(_), ref here) if here.is_empty()));
        // The identity reads back as the first read made it.
        assert_eq!(format!("{:?}", kept.id), format!("{:?}", in_memory.id),);
        assert!(kept.input.ends_with("td.json") && &*kept.path == "taskDefinition");
        let whole = whole(&kept).unwrap();
        let codes = |f: &[crate::diagnostics::Finding]| -> Vec<(String, String)> {
            f.iter()
                .map(|f| (f.code.as_str().to_string(), f.field.clone()))
                .collect()
        };
        assert_eq!(codes(&whole.findings), codes(expected));
        assert!(whole.findings.iter().all(|f| f.input.ends_with("td.json")));
    }

    /// Every field of an identity goes into its record and comes back.
    #[test]
    fn identities_read_back_from_their_records_as_they_were() {
        let td = TaskDefinitionIdentity {
            family: Some("web".into()),
            arn: Some("arn:aws:ecs:eu-west-1:111111111111:task-definition/web:7".into()),
            revision: Some(7),
            place: Place {
                account: "111111111111".into(),
                region: "eu-west-1".into(),
            },
        };
        let service = ServiceIdentity {
            name: Some("web".into()),
            task_definition: Some("web:7".into()),
            place: td.place.clone(),
            cluster: "main".into(),
            target_group_arns: vec!["tg-a".into(), "tg-b".into()].into(),
        };
        let empty = ServiceIdentity {
            name: None,
            task_definition: None,
            place: Place::default(),
            cluster: "".into(),
            target_group_arns: Box::default(),
        };
        let mut record = Vec::new();
        TaskDefinition::put_identity(&td, &mut record);
        Service::put_identity(&service, &mut record);
        Service::put_identity(&empty, &mut record);
        let mut bytes = record.as_slice();
        let back = (
            TaskDefinition::take_identity(&mut bytes).unwrap(),
            Service::take_identity(&mut bytes).unwrap(),
            Service::take_identity(&mut bytes).unwrap(),
        );
        assert!(bytes.is_empty());
        assert_eq!(format!("{back:?}"), format!("{:?}", (td, service, empty)));
    }

    /// A repeated field inside a task definition: serde's derive refuses it, the first read
    /// (through `Value`) keeps the last; the second read falls back to the first read's code.
    #[test]
    fn a_value_the_fast_path_refuses_reads_as_the_first_read_did() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("td.json");
        let td = r#"{"taskDefinition": {"family": "web", "memory": "512", "memory": "2048",
            "containerDefinitions": [{"name": "app", "image": "nginx"}]}}"#;
        std::fs::write(&file, td).unwrap();
        let read = super::super::read_files(vec![file.clone()]);
        assert!(read.task_definitions[0].by_identity());
        let kept = read.task_definitions[0]
            .get(0, read.findings_file.as_ref())
            .unwrap();
        assert!(at_path::<TaskDefinition>(td.as_bytes(), "taskDefinition").is_none());
        let whole = whole(&kept).unwrap();
        assert_eq!(whole.value.memory.as_deref(), Some("2048"));
        assert_eq!(whole.value.container_definitions.len(), 1);
        // Another value of the file that does not read is not this one's error.
        let two = dir.path().join("two.json");
        std::fs::write(
            &two,
            r#"{"services": [{"serviceName": "a", "desiredCount": 1, "desiredCount": 2},
                            {"serviceName": "b", "desiredCount": {}}]}"#,
        )
        .unwrap();
        let read = super::super::read_files(vec![two.clone()]);
        assert_eq!((read.services.len(), read.errors.len()), (1, 1));
        let a = read.services[0]
            .get(0, read.findings_file.as_ref())
            .unwrap();
        let a = super::whole(&a).unwrap();
        assert_eq!(a.value.desired_count, Some(2));
        // Gone, or no longer holding the value: an error naming the file.
        std::fs::write(&file, r#"{"services": []}"#).unwrap();
        let e = super::whole(&kept).unwrap_err().to_string();
        assert!(e.contains("td.json") && e.contains("changed"), "{e}");
    }
}
