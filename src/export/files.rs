//! The one writer that touches the file system: writes a generated tree into a directory that may
//! be someone's GitOps checkout.
//!
//! It keeps a list of what it wrote (`.ecs2eks-files`), so a re-run replaces and removes only its
//! own files; it refuses to overwrite a file it did not write; it checks everything before the
//! first write, and each file is written to a temporary name and renamed, so no file is ever
//! half-written. Unchanged files are not touched at all.

use super::{OWNED, Sink, Tree};
use crate::error::Error;
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const MANIFEST: &str = ".ecs2eks-files";

/// What a write changed, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The files a previous run wrote into `dir`.
pub fn previous(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let path = dir.join(MANIFEST);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(io(&path)(e)),
    }
}

/// Writes a whole tree, after checking it: nothing is written if any file would overwrite one
/// that is not ours. (The `Writer` below then does the writing, as for a streamed run.)
pub fn write(dir: &Path, tree: &Tree) -> Result<WriteSummary, Error> {
    let mut ours = previous(dir)?;
    for (rel, content) in tree {
        if !is_safe_relative(rel) {
            return Err(Error::Output {
                path: dir.join(rel),
                message: "not a path inside the output folder".into(),
            });
        }
        let path = dir.join(rel);
        if path.exists() && !ours.contains(rel) {
            let same = fs::read(&path)
                .map(|b| b == content.as_bytes())
                .unwrap_or(false);
            if !same {
                return Err(Error::Output {
                    path,
                    message: "exists and was not written by ecs2eks; move it away or delete it, then run again".into(),
                });
            }
            // The same bytes ecs2eks would write: taken as its own (left unchanged).
            ours.insert(rel.clone());
        }
    }
    let writer = Writer::in_place(dir, ours);
    use rayon::prelude::*;
    tree.par_iter()
        .for_each(|(rel, content)| writer.put(rel.clone(), content.clone()));
    writer.finish()
}

fn write_manifest(dir: &Path, manifest: &str) -> Result<(), Error> {
    let manifest_path = dir.join(MANIFEST);
    if fs::read(&manifest_path)
        .map(|b| b != manifest.as_bytes())
        .unwrap_or(true)
    {
        atomic_write(&manifest_path, manifest.as_bytes())?;
    }
    Ok(())
}

/// Writes files into a folder as they are rendered: the streaming form of `write`, so a large
/// run never holds the whole repository in memory. Same promises: only its own files are
/// replaced or removed, unchanged files are not touched, each file appears whole (temporary name,
/// then rename), and the manifest is written last.
///
/// When the folder does not exist yet, everything is written into a hidden staging folder next to
/// it, which is renamed into place at the end: the repository appears whole or not at all, and no
/// file needs a rename of its own (a third of the cost of writing 100,000 small files).
pub struct Writer {
    dir: PathBuf,
    /// Where files go: `dir`, or the staging folder.
    root: PathBuf,
    staging: bool,
    /// Folders made so far (staging only).
    made: Mutex<std::collections::HashSet<PathBuf>>,
    old: BTreeSet<String>,
    /// Files put so far (written or unchanged).
    paths: Mutex<Vec<String>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    /// The first error; nothing more is written after it.
    error: Mutex<Option<Error>>,
}

impl Writer {
    /// `None` when a file ecs2eks did not write sits where it writes (under `apps/`, `argocd/`,
    /// …): `write` must then check the whole tree before the first write.
    pub fn open(dir: &Path) -> Result<Option<Writer>, Error> {
        let staging = !dir.exists();
        let root = if staging {
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            fs::create_dir_all(parent).map_err(io(parent))?;
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("out");
            let root = parent.join(format!(".{name}.ecs2eks-staging-{}", std::process::id()));
            if root.exists() {
                fs::remove_dir_all(&root).map_err(io(&root))?;
            }
            fs::create_dir(&root).map_err(io(&root))?;
            root
        } else {
            dir.to_path_buf()
        };
        let old = previous(dir)?;
        for owned in OWNED {
            if has_foreign_file(dir, &dir.join(owned.trim_end_matches('/')), &old)? {
                return Ok(None);
            }
        }
        Ok(Some(Writer {
            staging,
            made: Mutex::new(std::collections::HashSet::from([root.clone()])),
            root,
            ..Writer::in_place(dir, old)
        }))
    }

    /// Writes into `dir` as it is, where `old` are the files that are ecs2eks's.
    fn in_place(dir: &Path, old: BTreeSet<String>) -> Writer {
        Writer {
            dir: dir.to_path_buf(),
            root: dir.to_path_buf(),
            staging: false,
            made: Mutex::default(),
            old,
            paths: Mutex::default(),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            error: Mutex::default(),
        }
    }

    fn failed(&self) -> bool {
        self.error.lock().expect("no writer panics").is_some()
    }

    fn fail(&self, e: Error) {
        self.error
            .lock()
            .expect("no writer panics")
            .get_or_insert(e);
    }

    /// The path to write `rel` to, or None (and an error) when `rel` is not inside the folder.
    fn target(&self, rel: &str) -> Option<PathBuf> {
        if self.failed() {
            return None;
        }
        if !is_safe_relative(rel) {
            self.fail(Error::Output {
                path: self.dir.join(rel),
                message: "not a path inside the output folder".into(),
            });
            return None;
        }
        Some(self.root.join(rel))
    }

    /// Makes the file's folder in the staging folder, once.
    fn folder_for(&self, path: &Path) -> Result<(), Error> {
        let parent = path.parent().unwrap_or(&self.root);
        let mut made = self.made.lock().expect("no writer panics");
        if !made.contains(parent) {
            fs::create_dir_all(parent).map_err(io(parent))?;
            // Forgotten now and then, so a large run does not hold its tens of thousands of
            // folders: an app's files come together, and making a folder again is harmless.
            if made.len() >= 4096 {
                made.clear();
            }
            made.insert(parent.to_path_buf());
        }
        Ok(())
    }

    fn done(&self, rel: String, written: bool) {
        let counter = if written {
            &self.written
        } else {
            &self.unchanged
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.paths.lock().expect("no writer panics").push(rel);
    }

    /// Removes what earlier runs wrote and this one did not, then writes the manifest (and moves
    /// a staging folder into place). After an error, nothing is removed and the manifest keeps
    /// every file ecs2eks owns; a staging folder is removed whole.
    pub fn finish(self) -> Result<WriteSummary, Error> {
        let mut paths = self.paths.into_inner().expect("no writer panics");
        paths.sort_unstable(); // equal strings are interchangeable: no need for a stable sort
        let mut summary = WriteSummary {
            written: self.written.into_inner(),
            unchanged: self.unchanged.into_inner(),
            removed: 0,
        };
        let error = self.error.into_inner().expect("no writer panics");
        if self.staging {
            let result = match error {
                Some(e) => Err(e),
                None => {
                    let path = self.root.join(MANIFEST);
                    fs::write(&path, manifest(&paths))
                        .map_err(io(&path))
                        .and_then(|()| fs::rename(&self.root, &self.dir).map_err(io(&self.dir)))
                }
            };
            if result.is_err() {
                let _ = fs::remove_dir_all(&self.root);
            }
            return result.map(|()| summary);
        }
        let mut owned: BTreeSet<String> = paths.into_iter().collect();
        if error.is_none() {
            summary.removed = remove_stale(&self.dir, &self.old, |rel| owned.contains(rel))?;
        } else {
            owned.extend(self.old);
        }
        let manifest = manifest(&owned);
        write_manifest(&self.dir, &manifest)?;
        match error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }
}

impl Sink for Writer {
    fn put(&self, rel: String, content: String) {
        let Some(path) = self.target(&rel) else {
            return;
        };
        let result = if self.staging {
            // Nobody sees the staging folder until it is complete: no temporary name needed.
            self.folder_for(&path)
                .and_then(|()| fs::write(&path, content.as_bytes()).map_err(io(&path)))
        } else if self.old.contains(&rel) && fs::read(&path).is_ok_and(|b| b == content.as_bytes())
        {
            // Only a file an earlier run wrote can be there (`open` checked): no read otherwise.
            return self.done(rel, false);
        } else {
            atomic_write(&path, content.as_bytes())
        };
        match result {
            Ok(()) => self.done(rel, true),
            Err(e) => self.fail(e),
        }
    }

    fn put_with(
        &self,
        rel: String,
        render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) {
        let Some(path) = self.target(&rel) else {
            return;
        };
        let result = (|| -> Result<bool, Error> {
            let tmp = if self.staging {
                self.folder_for(&path)?;
                path.clone()
            } else {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(io(parent))?;
                }
                temporary(&path)
            };
            let file = fs::File::create(&tmp).map_err(io(&tmp))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            render(&mut out)
                .and_then(|()| out.flush())
                .map_err(io(&tmp))?;
            drop(out);
            if self.staging {
                return Ok(true);
            }
            if self.old.contains(&rel) && same_file_content(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return Ok(false);
            }
            fs::rename(&tmp, &path).map_err(|e| {
                let _ = fs::remove_file(&tmp);
                io(&path)(e)
            })?;
            Ok(true)
        })();
        match result {
            Ok(written) => self.done(rel, written),
            Err(e) => self.fail(e),
        }
    }
}

/// Whether two files hold the same bytes, compared a block at a time: a large run's reports are
/// tens of MB, and a re-run compares both at once.
fn same_file_content(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(mut fa), Ok(mut fb)) = (fs::File::open(a), fs::File::open(b)) else {
        return false;
    };
    let (Ok(ma), Ok(mb)) = (fa.metadata(), fb.metadata()) else {
        return false;
    };
    if ma.len() != mb.len() {
        return false;
    }
    const BLOCK: usize = 1 << 16;
    let (mut ba, mut bb) = (vec![0u8; BLOCK], vec![0u8; BLOCK]);
    let mut left = ma.len();
    while left > 0 {
        let n = left.min(BLOCK as u64) as usize;
        let same = fa.read_exact(&mut ba[..n]).is_ok()
            && fb.read_exact(&mut bb[..n]).is_ok()
            && ba[..n] == bb[..n];
        if !same {
            return false;
        }
        left -= n as u64;
    }
    true
}

/// Whether a file under `path` (file or folder) is not in `ours` (leftover temporary files of an
/// interrupted run are ours).
fn has_foreign_file(root: &Path, path: &Path, ours: &BTreeSet<String>) -> Result<bool, Error> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(path)(e)),
    };
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(io(path))? {
            let entry = entry.map_err(io(path))?;
            if has_foreign_file(root, &entry.path(), ours)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".ecs2eks-tmp"))
    {
        return Ok(false);
    }
    let rel = path
        .strip_prefix(root)
        .ok()
        .and_then(|r| r.to_str())
        .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"));
    Ok(rel.is_none_or(|r| !ours.contains(&r)))
}

/// The manifest's content: the list of files ecs2eks wrote, sorted.
fn manifest<'a>(paths: impl IntoIterator<Item = &'a String>) -> String {
    let mut manifest =
        String::from("# Files written by ecs2eks; it replaces and removes only these.\n");
    for rel in paths {
        manifest.push_str(rel);
        manifest.push('\n');
    }
    manifest
}

/// Removes the files an earlier run wrote (`old`) that this one did not (`kept`), and the
/// folders that leaves empty; returns how many.
fn remove_stale(
    dir: &Path,
    old: &BTreeSet<String>,
    kept: impl Fn(&str) -> bool,
) -> Result<usize, Error> {
    let mut removed = 0;
    for rel in old.iter().filter(|r| !kept(r) && is_safe_relative(r)) {
        let path = dir.join(rel);
        match fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        remove_empty_parents(dir, &path);
    }
    Ok(removed)
}

/// `--check`: what `write` would change in `dir`, as a unified diff (empty when nothing).
pub fn check(dir: &Path, tree: &Tree) -> Result<String, Error> {
    let old = previous(dir)?;
    let mut expected = tree.clone();
    expected.insert(MANIFEST.to_string(), manifest(tree.keys()));
    let mut paths: BTreeSet<&String> = expected.keys().collect();
    paths.extend(old.iter());
    let mut out = String::new();
    for rel in paths {
        let path = dir.join(rel);
        let current = match fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
        };
        let wanted = expected.get(rel);
        if current.as_ref() == wanted {
            continue;
        }
        let (a, b) = (
            current.as_deref().unwrap_or(""),
            wanted.map_or("", String::as_str),
        );
        let old_name = if current.is_some() {
            format!("a/{rel}")
        } else {
            "/dev/null".to_string()
        };
        let new_name = if wanted.is_some() {
            format!("b/{rel}")
        } else {
            "/dev/null".to_string()
        };
        let diff = similar::TextDiff::from_lines(a, b);
        out.push_str(&format!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
        ));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

fn temporary(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    parent.join(format!(".{name}.ecs2eks-tmp"))
}

fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temporary(path);
    // The folder usually exists: make it only when the first try says it does not.
    if let Err(e) = fs::write(&tmp, bytes) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(io(&tmp)(e));
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io(parent))?;
        fs::write(&tmp, bytes).map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Removes folders left empty by a removal, up to (not including) `root`.
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn is_safe_relative(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty()
        && p.is_relative()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn rerun_replaces_own_files_and_keeps_others() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("README.md"), "mine").unwrap();
        let s = write(d, &tree(&[("apps/a/x.yaml", "1"), ("apps/b/y.yaml", "2")])).unwrap();
        assert_eq!(
            s,
            WriteSummary {
                written: 2,
                unchanged: 0,
                removed: 0
            }
        );
        let s = write(d, &tree(&[("apps/a/x.yaml", "1")])).unwrap();
        assert_eq!(
            s,
            WriteSummary {
                written: 0,
                unchanged: 1,
                removed: 1
            }
        );
        assert!(!d.join("apps/b").exists());
        assert_eq!(fs::read_to_string(d.join("README.md")).unwrap(), "mine");
    }

    #[test]
    fn check_shows_what_a_write_would_change() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let t = tree(&[("a.yaml", "x: 1\n")]);
        assert!(check(d, &t).unwrap().contains("+x: 1"));
        write(d, &t).unwrap();
        assert_eq!(check(d, &t).unwrap(), "");
        let diff = check(d, &tree(&[("a.yaml", "x: 2\n")])).unwrap();
        assert!(diff.contains("-x: 1") && diff.contains("+x: 2"), "{diff}");
    }

    #[test]
    fn refuses_to_overwrite_foreign_files_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("apps")).unwrap();
        fs::write(d.join("apps/z.yaml"), "theirs").unwrap();
        let err = write(d, &tree(&[("apps/a.yaml", "1"), ("apps/z.yaml", "ours")])).unwrap_err();
        assert!(err.to_string().contains("not written by ecs2eks"));
        assert!(!d.join("apps/a.yaml").exists());
        assert_eq!(fs::read_to_string(d.join("apps/z.yaml")).unwrap(), "theirs");
    }

    #[test]
    fn streaming_into_a_new_folder_stages_it_and_leaves_nothing_on_error() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        let w = Writer::open(&dir).unwrap().expect("nothing is in the way");
        w.put("apps/a/x.yaml".into(), "1".into());
        w.put_with("migration-report.json".into(), &|out| out.write_all(b"{}"));
        assert!(!dir.exists(), "the folder appears only when complete");
        let s = w.finish().unwrap();
        assert_eq!(s.written, 2);
        assert_eq!(fs::read_to_string(dir.join("apps/a/x.yaml")).unwrap(), "1");
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no staging folder left"
        );
        assert!(previous(&dir).unwrap().contains("migration-report.json"));

        let other = tmp.path().join("other");
        let w = Writer::open(&other).unwrap().unwrap();
        w.put("apps/a/x.yaml".into(), "1".into());
        w.put("../escape.yaml".into(), "2".into());
        assert!(w.finish().is_err());
        assert!(!other.exists() && !tmp.path().join("escape.yaml").exists());
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "the staging folder is removed"
        );
    }

    #[test]
    fn streaming_into_an_existing_folder_replaces_only_its_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, &tree(&[("apps/a/x.yaml", "1"), ("apps/b/y.yaml", "2")])).unwrap();
        fs::write(d.join("README.md"), "mine").unwrap();
        let w = Writer::open(d)
            .unwrap()
            .expect("README.md is not where ecs2eks writes");
        w.put("apps/a/x.yaml".into(), "1".into());
        w.put("apps/c/z.yaml".into(), "3".into());
        let s = w.finish().unwrap();
        assert_eq!((s.written, s.unchanged, s.removed), (1, 1, 1));
        assert!(!d.join("apps/b").exists());
        assert_eq!(fs::read_to_string(d.join("README.md")).unwrap(), "mine");
        // A file of someone else's under apps/: everything must be checked before writing.
        fs::write(d.join("apps/theirs.yaml"), "x").unwrap();
        assert!(Writer::open(d).unwrap().is_none());
    }

    #[test]
    fn files_are_compared_block_by_block() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            fs::write(&path, bytes).unwrap();
            path
        };
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut last_differs = big.clone();
        *last_differs.last_mut().unwrap() ^= 1;
        let a = file("a", &big);
        assert!(same_file_content(&a, &file("b", &big)));
        assert!(!same_file_content(&a, &file("c", &last_differs)));
        assert!(!same_file_content(&a, &file("d", &big[..big.len() - 1])));
        assert!(same_file_content(&file("e", b""), &file("f", b"")));
        assert!(!same_file_content(&a, &dir.path().join("missing")));
    }
}
