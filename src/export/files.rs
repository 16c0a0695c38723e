//! The one writer that touches the file system: writes a generated tree into a directory that may
//! be someone's GitOps checkout.
//!
//! It keeps a list of what it wrote (`.ecs2eks-files`), so a re-run replaces and removes only its
//! own files; it refuses to overwrite a file it did not write; it checks everything before the
//! first write, and each file is written to a temporary name and renamed, so no file is ever
//! half-written. Unchanged files are not touched at all.

use super::Tree;
use crate::error::Error;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

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

pub fn write(dir: &Path, tree: &Tree) -> Result<WriteSummary, Error> {
    let old = previous(dir)?;
    // Check first: nothing is written if any file would overwrite one that is not ours.
    for (rel, content) in tree {
        if !is_safe_relative(rel) {
            return Err(Error::Output {
                path: dir.join(rel),
                message: "not a path inside the output folder".into(),
            });
        }
        let path = dir.join(rel);
        if path.exists() && !old.contains(rel) {
            let same = fs::read(&path)
                .map(|b| b == content.as_bytes())
                .unwrap_or(false);
            if !same {
                return Err(Error::Output {
                    path,
                    message: "exists and was not written by ecs2eks; move it away or delete it, then run again".into(),
                });
            }
        }
    }
    let mut summary = WriteSummary::default();
    // Writing is bound by file-system latency, not CPU: a few threads more than cores help.
    let entries: Vec<(&String, &String)> = tree.iter().collect();
    let chunk = entries.len().div_ceil(8).max(1);
    let results: Vec<Result<(usize, usize), Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let (mut written, mut unchanged) = (0, 0);
                    for (rel, content) in part {
                        let path = dir.join(rel);
                        if fs::read(&path).is_ok_and(|b| b == content.as_bytes()) {
                            unchanged += 1;
                        } else {
                            atomic_write(&path, content.as_bytes())?;
                            written += 1;
                        }
                    }
                    Ok((written, unchanged))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer threads do not panic"))
            .collect()
    });
    for r in results {
        let (w, u) = r?;
        summary.written += w;
        summary.unchanged += u;
    }
    for rel in old
        .iter()
        .filter(|r| !tree.contains_key(*r) && is_safe_relative(r))
    {
        let path = dir.join(rel);
        match fs::remove_file(&path) {
            Ok(()) => summary.removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        remove_empty_parents(dir, &path);
    }
    let mut manifest =
        String::from("# Files written by ecs2eks; it replaces and removes only these.\n");
    for rel in tree.keys() {
        manifest.push_str(rel);
        manifest.push('\n');
    }
    let manifest_path = dir.join(MANIFEST);
    if fs::read(&manifest_path)
        .map(|b| b != manifest.as_bytes())
        .unwrap_or(true)
    {
        atomic_write(&manifest_path, manifest.as_bytes())?;
    }
    Ok(summary)
}

/// The manifest's content for a tree: the list of files ecs2eks wrote.
fn manifest(tree: &Tree) -> String {
    let mut manifest =
        String::from("# Files written by ecs2eks; it replaces and removes only these.\n");
    for rel in tree.keys() {
        manifest.push_str(rel);
        manifest.push('\n');
    }
    manifest
}

/// `--check`: what `write` would change in `dir`, as a unified diff (empty when nothing).
pub fn check(dir: &Path, tree: &Tree) -> Result<String, Error> {
    let old = previous(dir)?;
    let mut expected = tree.clone();
    expected.insert(MANIFEST.to_string(), manifest(tree));
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

fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp: PathBuf = parent.join(format!(".{name}.ecs2eks-tmp"));
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
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
}
