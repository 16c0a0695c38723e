//! The set of files the previous run wrote (its manifest), looked up before each write: a large
//! run's hundreds of thousands of paths are mostly the same few file names in tens of thousands
//! of folders, so each folder and each name is held once and a path is two numbers. (The files
//! this run writes wait in a temporary file instead: `Writer::paths`.)

use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub struct PathSet {
    folders: HashMap<Box<str>, u32>,
    names: HashMap<Box<str>, u32>,
    paths: HashSet<(u32, u32)>,
}

/// `rel` as (folder, file name); a file at the top has the folder "".
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

fn id_of(table: &mut HashMap<Box<str>, u32>, s: &str) -> u32 {
    if let Some(&id) = table.get(s) {
        return id;
    }
    let id = u32::try_from(table.len()).expect("fewer than 4 billion folders and names");
    table.insert(s.into(), id);
    id
}

/// The strings of a table, by id.
fn by_id(table: &HashMap<Box<str>, u32>) -> Vec<&str> {
    let mut out = vec![""; table.len()];
    for (s, &id) in table {
        out[id as usize] = s;
    }
    out
}

impl PathSet {
    /// Adds `rel`; false when it was there.
    pub fn insert(&mut self, rel: &str) -> bool {
        let (folder, name) = split(rel);
        let key = (
            id_of(&mut self.folders, folder),
            id_of(&mut self.names, name),
        );
        self.paths.insert(key)
    }

    pub fn contains(&self, rel: &str) -> bool {
        let (folder, name) = split(rel);
        match (self.folders.get(folder), self.names.get(name)) {
            (Some(&f), Some(&n)) => self.paths.contains(&(f, n)),
            _ => false,
        }
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Calls `f` with each path, sorted as strings (the order of a `BTreeSet<String>`).
    pub fn for_each_sorted(&self, mut f: impl FnMut(&str)) {
        let _ = self.try_for_each_sorted(|rel| {
            f(rel);
            Ok::<(), std::convert::Infallible>(())
        });
    }

    /// `for_each_sorted`, until `f` fails.
    pub fn try_for_each_sorted<E>(
        &self,
        mut f: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        use rayon::prelude::*;
        let (folders, names) = (by_id(&self.folders), by_id(&self.names));
        let joined = |(f, n): (u32, u32)| {
            let folder = folders[f as usize];
            let slash = (!folder.is_empty()).then_some(b'/');
            folder.bytes().chain(slash).chain(names[n as usize].bytes())
        };
        let mut sorted: Vec<(u32, u32)> = self.paths.iter().copied().collect();
        sorted.par_sort_unstable_by(|&a, &b| {
            if a.0 == b.0 {
                return names[a.1 as usize].cmp(names[b.1 as usize]);
            }
            // Folders that differ before either ends decide alone (the usual case, and a
            // slice comparison); else the whole paths are compared.
            let (fa, fb) = (
                folders[a.0 as usize].as_bytes(),
                folders[b.0 as usize].as_bytes(),
            );
            let common = fa.len().min(fb.len());
            match fa[..common].cmp(&fb[..common]) {
                std::cmp::Ordering::Equal => joined(a).cmp(joined(b)),
                decided => decided,
            }
        });
        let mut path = String::new();
        for (folder, name) in sorted {
            path.clear();
            let folder = folders[folder as usize];
            if !folder.is_empty() {
                path.push_str(folder);
                path.push('/');
            }
            path.push_str(names[name as usize]);
            f(&path)?;
        }
        Ok(())
    }
}

impl<S: AsRef<str>> FromIterator<S> for PathSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = PathSet::default();
        for rel in iter {
            set.insert(rel.as_ref());
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The same members and the same order as a `BTreeSet<String>`, where a folder's name is a
    /// prefix of another's (`a/b` and `a/b-c`) or of a file's.
    #[test]
    fn holds_and_sorts_paths_as_strings_do() {
        let paths = [
            "apps/web/base/deployment.yaml",
            "apps/web-api/base/deployment.yaml",
            "apps/web/overlays/dev/kustomization.yaml",
            "apps/web/base/kustomization.yaml",
            "apps/web",
            "apps/web-",
            "MIGRATION_REPORT.md",
            "a/b/c",
            "a/b-c",
            "a/b",
            "argocd/kustomization.yaml",
        ];
        let set: PathSet = paths.iter().collect();
        let expected: BTreeSet<&str> = paths.iter().copied().collect();
        let mut got = Vec::new();
        set.for_each_sorted(|p| got.push(p.to_string()));
        assert_eq!(got, expected.iter().copied().collect::<Vec<_>>());
        assert_eq!(set.len(), paths.len());
        assert!(paths.iter().all(|p| set.contains(p)));
        assert!(!set.contains("apps/web/base/service.yaml"));
        assert!(!set.contains("apps/web-api/overlays/dev/kustomization.yaml"));
        let mut again = set;
        assert!(!again.insert("a/b"));
        assert!(again.insert("a/b/d"));
    }
}
