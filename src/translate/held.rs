//! A conversion's workloads, held in memory or, in a large run, in the findings file: once an
//! app is written its objects are gone, and what is left of each workload (names, inputs,
//! footprint, object facts, role key: about 1 KB) waits there for the passes after every app
//! (shared stores, IAM plan, Argo CD projects, reports), so memory does not grow with the run.

use super::Workload;
use super::discovery::DnsRename;
use super::facts::{ObjectFacts, StoreUse, TargetGroupBindingFacts};
use super::footprint::Footprint;
use super::iam::HeldRole;
use crate::diagnostics::codec::{
    put_option, put_text, put_texts, put_u64, take, take_option, take_text, take_texts, take_u64,
};
use crate::diagnostics::{Finding, FindingsFile, Severity, Spilled, Stored};
use crate::error::InputError;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// The workloads, in the conversion's order (by app, then environment).
#[derive(Debug, Default)]
pub struct Workloads {
    held: Vec<Held>,
    /// Where moved workloads are.
    file: Option<Arc<FindingsFile>>,
    /// Moved workloads that could not be read back: errors of the run (`take_unread`).
    unread: Mutex<Vec<InputError>>,
}

/// One workload.
#[derive(Debug)]
pub enum Held {
    Here(Box<Workload>),
    Moved {
        at: Stored,
        /// Findings added after it was moved (shared roles and stores).
        late: Vec<Finding>,
        /// The worst of all its findings, for its status.
        worst: Option<Severity>,
    },
}

impl Held {
    /// Moves `w` to `file` (its findings first) once its objects are written; it stays here if
    /// it cannot be written.
    pub fn moved(mut w: Workload, file: &FindingsFile) -> Held {
        debug_assert!(w.objects.is_empty() && w.spilled.is_none());
        let Some(spilled) = file.put(&w.findings) else {
            return Held::Here(Box::new(w));
        };
        let worst = spilled.worst;
        let findings = std::mem::take(&mut w.findings);
        w.spilled = Some(spilled);
        let mut bytes = Vec::with_capacity(1024);
        encode(&w, &mut bytes);
        match file.put_bytes(&bytes) {
            Some(at) => Held::Moved {
                at,
                late: Vec::new(),
                worst,
            },
            None => {
                w.spilled = None;
                w.findings = findings;
                Held::Here(Box::new(w))
            }
        }
    }
}

impl Workloads {
    /// `held`, the moved ones in `file`.
    pub fn new(held: Vec<Held>, file: Option<Arc<FindingsFile>>) -> Workloads {
        Workloads {
            held,
            file,
            unread: Mutex::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The file the moved workloads (and their findings) are in.
    pub fn file(&self) -> Option<&Arc<FindingsFile>> {
        self.file.as_ref()
    }

    /// Workload `i`, read back if it was moved.
    pub fn get(&self, i: usize) -> Result<Cow<'_, Workload>, InputError> {
        match &self.held[i] {
            Held::Here(w) => Ok(Cow::Borrowed(w)),
            Held::Moved { at, late, .. } => {
                let unread =
                    |message: &dyn std::fmt::Display| InputError::unread("workload", i, message);
                let file = self.file.as_ref().ok_or_else(|| unread(&"no file"))?;
                let bytes = file.get_bytes(at).map_err(|e| unread(&e))?;
                let mut w =
                    decode(&mut bytes.as_slice(), file).ok_or_else(|| unread(&"corrupt record"))?;
                w.findings = late.clone();
                Ok(Cow::Owned(w))
            }
        }
    }

    /// Every workload in order, each read back if it was moved; one that cannot be is left out
    /// and noted for `take_unread`.
    pub fn read(&self) -> impl Iterator<Item = Cow<'_, Workload>> + '_ {
        (0..self.len()).filter_map(|i| self.read_one(i))
    }

    /// `read`, only those that did not fail (told without reading them back).
    pub fn read_live(&self) -> impl Iterator<Item = Cow<'_, Workload>> + '_ {
        (0..self.len())
            .filter(|&i| !self.failed(i))
            .filter_map(|i| self.read_one(i))
    }

    /// What `map` takes of each workload, handed to `each` with its position in the workloads'
    /// order: read back and mapped on every core, a chunk at a time (reading one back is about
    /// 2 µs, and the passes after the apps read every one). One that cannot be read back is
    /// left out, as in `read`.
    pub fn for_each_read<T: Send>(
        &self,
        map: impl Fn(&Workload) -> T + Sync,
        each: impl FnMut(usize, T),
    ) {
        self.for_each_where(|_| true, map, each)
    }

    /// `for_each_read`, only those that did not fail.
    pub fn for_each_live<T: Send>(
        &self,
        map: impl Fn(&Workload) -> T + Sync,
        each: impl FnMut(usize, T),
    ) {
        self.for_each_where(|i| !self.failed(i), map, each)
    }

    fn for_each_where<T: Send>(
        &self,
        keep: impl Fn(usize) -> bool + Sync,
        map: impl Fn(&Workload) -> T + Sync,
        mut each: impl FnMut(usize, T),
    ) {
        in_order(
            self.len(),
            |i| {
                let w = keep(i).then(|| self.read_one(i)).flatten()?;
                Some(map(&w))
            },
            |i, t| {
                if let Some(t) = t {
                    each(i, t);
                }
            },
        )
    }

    fn read_one(&self, i: usize) -> Option<Cow<'_, Workload>> {
        match self.get(i) {
            Ok(w) => Some(w),
            Err(e) => {
                self.unread.lock().expect("no conversion panics").push(e);
                None
            }
        }
    }

    /// The workloads still in memory: all of them unless a large run moved them, which it does
    /// only once their objects are written.
    pub fn in_memory(&self) -> impl Iterator<Item = &Workload> {
        self.held.iter().filter_map(|h| match h {
            Held::Here(w) => Some(&**w),
            Held::Moved { .. } => None,
        })
    }

    /// Workload `i` if it is in memory (a conversion that was not streamed keeps them all).
    pub fn here(&self, i: usize) -> Option<&Workload> {
        match self.held.get(i)? {
            Held::Here(w) => Some(w),
            Held::Moved { .. } => None,
        }
    }

    /// The workloads that could not be read back so far (errors of the run).
    pub fn take_unread(&self) -> Vec<InputError> {
        std::mem::take(&mut *self.unread.lock().expect("no conversion panics"))
    }

    /// The worst finding of workload `i`, without reading it back.
    pub fn worst(&self, i: usize) -> Option<Severity> {
        match &self.held[i] {
            Held::Here(w) => w.worst(),
            Held::Moved { worst, .. } => *worst,
        }
    }

    /// `converted`, `review` or `failed` (`Workload::status`), without reading it back.
    pub fn status(&self, i: usize) -> &'static str {
        super::status_of(self.worst(i))
    }

    pub fn failed(&self, i: usize) -> bool {
        self.status(i) == "failed"
    }

    /// Adds a finding to workload `i` (once: a role shared by several containers' workloads
    /// is reported once each).
    pub fn add_finding(&mut self, i: usize, f: Finding) {
        let (findings, worst) = match &mut self.held[i] {
            Held::Here(w) => (&mut w.findings, None),
            Held::Moved { late, worst, .. } => (late, Some(worst)),
        };
        if !findings.contains(&f) {
            if let Some(worst) = worst {
                *worst = (*worst).max(Some(f.severity));
            }
            findings.push(f);
        }
    }
}

impl From<Vec<Workload>> for Workloads {
    fn from(ws: Vec<Workload>) -> Workloads {
        Workloads::new(
            ws.into_iter().map(|w| Held::Here(Box::new(w))).collect(),
            None,
        )
    }
}

/// Every field but those a moved workload no longer has (objects: written; secret reads: grouped; findings:
/// in the file, pointed at by `spilled`). The fields are named so a new one cannot be forgotten.
/// `map` of every position below `len`, handed to `each` in order: mapped on every core, a chunk
/// at a time, so what waits between the two is one chunk's (records read back are each about
/// 2 µs, and a large run reads tens of thousands).
pub(super) fn in_order<T: Send>(
    len: usize,
    map: impl Fn(usize) -> T + Sync,
    mut each: impl FnMut(usize, T),
) {
    use rayon::prelude::*;
    const CHUNK: usize = 1024;
    for start in (0..len).step_by(CHUNK) {
        let mapped: Vec<T> = (start..len.min(start + CHUNK))
            .into_par_iter()
            .map(&map)
            .collect();
        for (i, t) in (start..).zip(mapped) {
            each(i, t);
        }
    }
}

fn encode(w: &Workload, out: &mut Vec<u8>) {
    let Workload {
        app,
        environment,
        team,
        namespace,
        account,
        region,
        cluster,
        inputs,
        objects: _,
        findings: _,
        secret_reads: _,
        role,
        dns_names,
        footprint,
        facts,
        spilled,
    } = w;
    for s in [app, environment, team, namespace, account, region, cluster] {
        put_text(out, s);
    }
    put_texts(out, inputs.iter().map(String::as_str), inputs.len());
    match role {
        None => out.push(0),
        Some(HeldRole::Here(binding)) => {
            out.push(1);
            let json = serde_json::to_string(binding).expect("a binding serializes");
            put_text(out, &json);
        }
        Some(HeldRole::Moved {
            account_name,
            name,
            file: _,
            at,
            input,
        }) => {
            out.push(2);
            for s in [account_name, name, input] {
                put_text(out, s);
            }
            at.encode(out);
        }
    }
    put_u64(out, dns_names.len() as u64);
    for d in dns_names {
        put_text(out, d.source);
        put_text(out, &d.old);
        put_option(out, d.old_port);
        put_text(out, &d.new);
        put_option(out, d.new_port);
    }
    for n in footprint.counts() {
        put_u64(out, n as u64);
    }
    put_option(out, footprint.replicas);
    let ObjectFacts {
        cluster_kinds,
        stores,
        target_group_bindings,
    } = facts;
    put_u64(out, cluster_kinds.len() as u64);
    for (group, kind) in cluster_kinds {
        put_text(out, group);
        put_text(out, kind);
    }
    put_u64(out, stores.len() as u64);
    for s in stores {
        match s {
            StoreUse::Own(None) => out.push(0),
            StoreUse::Own(Some(role)) => {
                out.push(1);
                put_text(out, role);
            }
            StoreUse::Shared(name) => {
                out.push(2);
                put_text(out, name);
            }
        }
    }
    put_u64(out, target_group_bindings.len() as u64);
    for b in target_group_bindings {
        for s in [
            &b.name,
            &b.target_group_arn,
            &b.service,
            &b.port,
            &b.target_type,
        ] {
            put_text(out, s);
        }
    }
    match spilled {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            s.encode(out);
        }
    }
}

fn decode(bytes: &mut &[u8], file: &Arc<FindingsFile>) -> Option<Workload> {
    let mut w = Workload {
        app: take_text(bytes)?,
        environment: take_text(bytes)?,
        team: take_text(bytes)?,
        namespace: take_text(bytes)?,
        account: take_text(bytes)?,
        region: take_text(bytes)?,
        cluster: take_text(bytes)?,
        inputs: take_texts(bytes)?,
        ..Workload::default()
    };
    w.role = match take(bytes, 1)?[0] {
        0 => None,
        1 => Some(HeldRole::Here(Box::new(
            serde_json::from_str(&take_text(bytes)?).ok()?,
        ))),
        2 => Some(HeldRole::Moved {
            account_name: take_text(bytes)?.into(),
            name: take_text(bytes)?.into(),
            input: take_text(bytes)?.into(),
            at: Stored::decode(bytes)?,
            file: file.clone(),
        }),
        _ => return None,
    };
    for _ in 0..take_u64(bytes)? {
        w.dns_names.push(DnsRename {
            source: super::discovery::source_named(&take_text(bytes)?)?,
            old: take_text(bytes)?,
            old_port: take_option(bytes)?,
            new: take_text(bytes)?,
            new_port: take_option(bytes)?,
        });
    }
    let mut counts = [0; 6];
    for n in &mut counts {
        *n = take_u64(bytes)? as i64;
    }
    w.footprint = Footprint::from_counts(counts, take_option(bytes)?);
    for _ in 0..take_u64(bytes)? {
        w.facts
            .cluster_kinds
            .push((take_text(bytes)?, take_text(bytes)?));
    }
    for _ in 0..take_u64(bytes)? {
        w.facts.stores.push(match take(bytes, 1)?[0] {
            0 => StoreUse::Own(None),
            1 => StoreUse::Own(Some(take_text(bytes)?)),
            2 => StoreUse::Shared(take_text(bytes)?),
            _ => return None,
        });
    }
    for _ in 0..take_u64(bytes)? {
        w.facts.target_group_bindings.push(TargetGroupBindingFacts {
            name: take_text(bytes)?,
            target_group_arn: take_text(bytes)?,
            service: take_text(bytes)?,
            port: take_text(bytes)?,
            target_type: take_text(bytes)?,
        });
    }
    w.spilled = match take(bytes, 1)?[0] {
        0 => None,
        1 => Some(Spilled::decode(bytes)?),
        _ => return None,
    };
    bytes.is_empty().then_some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    #[test]
    fn a_moved_workload_reads_back_as_it_was_with_its_late_findings() {
        let file = Arc::new(FindingsFile::create().unwrap());
        let binding_file = file.clone();
        let mut early = Finding::new(Code::AwsTags, "tags", "2 tag(s) — not converted");
        early.input = "dev/td.json".into();
        early.severity = Severity::Warning;
        let w = Workload {
            app: "web".into(),
            environment: "dev".into(),
            team: "shop".into(),
            namespace: "web-dev".into(),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            cluster: "main".into(),
            inputs: vec!["dev/svc.json".into(), "dev/td.json".into()],
            findings: vec![early.clone()],
            role: Some(HeldRole::Moved {
                account_name: "dev".into(),
                name: "web".into(),
                file: binding_file,
                at: file.put_bytes(b"{}").unwrap(),
                input: "dev/td.json".into(),
            }),
            dns_names: vec![DnsRename {
                source: "Service Connect",
                old: "web.local".into(),
                old_port: Some(80),
                new: "web.web-dev.svc.cluster.local".into(),
                new_port: None,
            }],
            footprint: Footprint {
                pods: 2,
                peak_pods: 3,
                pod_ips: 3,
                cpu_millicores: 500,
                memory_mib: 1024,
                daemonsets: 0,
                replicas: Some(2),
            },
            facts: ObjectFacts {
                cluster_kinds: vec![("".into(), "Namespace".into())],
                stores: vec![
                    StoreUse::Own(None),
                    StoreUse::Own(Some("arn:aws:iam::1:role/r".into())),
                    StoreUse::Shared("aws-secrets".into()),
                ],
                target_group_bindings: vec![TargetGroupBindingFacts {
                    name: "web-80".into(),
                    target_group_arn: "arn:aws:elasticloadbalancing:tg".into(),
                    service: "web".into(),
                    port: "80".into(),
                    target_type: "ip".into(),
                }],
            },
            ..Workload::default()
        };
        let mut expected = w.clone();
        expected.findings = Vec::new();
        let mut ws = Workloads::new(
            vec![Held::moved(w, &file), Held::Here(Box::default())],
            Some(file.clone()),
        );
        assert!(matches!(ws.held[0], Held::Moved { .. }));
        assert_eq!(ws.status(0), "review");
        let late = Finding::new(Code::StoreConflict, "", "kept the other");
        ws.add_finding(0, late.clone());
        ws.add_finding(0, late.clone());
        let mut back = ws.get(0).unwrap().into_owned();
        assert_eq!(back.findings, std::slice::from_ref(&late));
        let all = crate::translate::Conversion {
            workloads: Workloads::new(Vec::new(), Some(file.clone())),
            ..Default::default()
        };
        assert_eq!(all.findings(&back).load().unwrap().as_ref(), [early, late]);
        // Every other field as it was (its findings are in the file now).
        back.findings = Vec::new();
        back.spilled = None;
        assert_eq!(format!("{back:?}"), format!("{expected:?}"));
        assert_eq!(ws.get(1).unwrap().app, "");
        assert_eq!(ws.read().count(), 2);
        assert!(ws.take_unread().is_empty());
    }

    #[test]
    fn a_record_that_cannot_be_read_back_is_an_error_of_the_run() {
        let file = Arc::new(FindingsFile::create().unwrap());
        let at = file.put_bytes(b"not a record").unwrap();
        let moved = Held::Moved {
            at,
            late: Vec::new(),
            worst: None,
        };
        let ws = Workloads::new(vec![moved, Held::Here(Box::default())], Some(file));
        assert!(ws.get(0).is_err());
        assert_eq!(ws.read().count(), 1);
        let unread = ws.take_unread();
        assert_eq!(unread.len(), 1);
        assert!(
            unread[0].to_string().contains("could not be read back"),
            "{}",
            unread[0]
        );
        assert!(ws.take_unread().is_empty());
    }
}
