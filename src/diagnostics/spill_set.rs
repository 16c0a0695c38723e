//! A sorted set of strings that a large run would otherwise hold whole until it writes them
//! (every secret ARN of an account, every namespace of a team): sorted runs of it wait in the
//! run's temporary file, and reading it merges them, so memory holds one run at a time.

use super::codec::{put_text, take_text};
use super::{FindingsFile, Stored};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::sync::Arc;

/// How much text a run holds before it goes to the file.
const RUN_BYTES: usize = 256 * 1024;
/// How much of a run is read back at once.
const BLOCK: u32 = 16 * 1024;

/// Strings, each once, read back sorted (`iter`).
#[derive(Debug, Clone, Default)]
pub struct SpillSet {
    /// Where runs go; None: everything stays in memory.
    file: Option<Arc<FindingsFile>>,
    here: BTreeSet<String>,
    /// The text in `here`, with a little per entry for what holds it.
    bytes: usize,
    runs: Vec<Stored>,
}

impl SpillSet {
    pub fn new(file: Option<Arc<FindingsFile>>) -> SpillSet {
        SpillSet {
            file,
            ..SpillSet::default()
        }
    }

    pub fn insert(&mut self, s: &str) {
        if self.here.contains(s) {
            return;
        }
        self.bytes += s.len() + 48;
        self.here.insert(s.to_string());
        if self.bytes >= RUN_BYTES {
            self.spill();
        }
    }

    /// Moves what is here to the file as one sorted run; if it cannot be written, it stays
    /// (and so does everything added later).
    fn spill(&mut self) {
        let Some(file) = &self.file else {
            return;
        };
        let mut run = Vec::with_capacity(self.bytes);
        for s in &self.here {
            put_text(&mut run, s);
        }
        match file.put_bytes(&run) {
            Some(at) => {
                self.runs.push(at);
                self.here.clear();
                self.bytes = 0;
            }
            None => self.file = None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.here.is_empty() && self.runs.is_empty()
    }

    /// Files `position` under `key` (which may hold `\0` itself, as a separator of its parts):
    /// `keyed` gives them back sorted by key, then by position.
    pub fn insert_keyed(&mut self, key: &str, position: usize) {
        self.insert(&format!("{key}\0{position:010}"));
    }

    /// What `insert_keyed` filed, as (key, position), sorted.
    pub fn keyed(&self) -> impl Iterator<Item = std::io::Result<(String, usize)>> + '_ {
        self.iter().map(|entry| {
            let entry = entry?;
            let (key, position) = entry.rsplit_once('\0').ok_or_else(corrupt)?;
            Ok((key.to_string(), position.parse().map_err(|_| corrupt())?))
        })
    }

    /// How many sorted runs wait in the file.
    #[cfg(test)]
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Every string once, sorted: the runs and what is here, merged.
    pub fn iter(&self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        let mut sources: Vec<Source> = self
            .runs
            .iter()
            .map(|at| {
                Source::Run(RunReader {
                    file: self.file.as_deref(),
                    at: *at,
                    read: 0,
                    buf: Vec::new(),
                })
            })
            .collect();
        sources.push(Source::Here(self.here.iter()));
        Merge {
            heads: BinaryHeap::with_capacity(sources.len()),
            failed: false,
            sources,
            last: None,
            started: false,
        }
    }
}

/// A set in memory (tests, small runs).
impl<S: AsRef<str>> FromIterator<S> for SpillSet {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> SpillSet {
        let mut set = SpillSet::default();
        for s in items {
            set.insert(s.as_ref());
        }
        set
    }
}

enum Source<'a> {
    Run(RunReader<'a>),
    Here(std::collections::btree_set::Iter<'a, String>),
}

impl Source<'_> {
    fn next(&mut self) -> Option<std::io::Result<String>> {
        match self {
            Source::Run(r) => r.next(),
            Source::Here(it) => it.next().map(|s| Ok(s.clone())),
        }
    }
}

fn corrupt() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt run")
}

/// One run, read back a block at a time.
struct RunReader<'a> {
    file: Option<&'a FindingsFile>,
    at: Stored,
    /// How much of the run is in `buf` or was taken from it.
    read: u32,
    buf: Vec<u8>,
}

impl RunReader<'_> {
    /// Reads more of the run until `buf` holds `n` bytes (or the run ends).
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        let file = self
            .file
            .ok_or_else(|| std::io::Error::other("a spilled run without its file"))?;
        while self.buf.len() < n && self.read < self.at.len() {
            let len = BLOCK.min(self.at.len() - self.read);
            self.buf
                .extend_from_slice(&file.get_bytes(&self.at.part(self.read, len))?);
            self.read += len;
        }
        Ok(())
    }

    fn next(&mut self) -> Option<std::io::Result<String>> {
        if let Err(e) = self.fill(4) {
            return Some(Err(e));
        }
        if self.buf.is_empty() {
            return None;
        }
        let Some(len) = self.buf.get(..4) else {
            return Some(Err(corrupt()));
        };
        let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
        if let Err(e) = self.fill(4 + len) {
            return Some(Err(e));
        }
        let mut rest = self.buf.as_slice();
        let Some(s) = take_text(&mut rest) else {
            return Some(Err(corrupt()));
        };
        self.buf.drain(..4 + len);
        Some(Ok(s))
    }
}

/// The sources merged: the least head first, each string once.
struct Merge<'a> {
    sources: Vec<Source<'a>>,
    /// Each source's next string, least first (a large run's file list makes a hundred runs).
    heads: BinaryHeap<Reverse<(String, usize)>>,
    /// After an error, nothing more: a run that cannot be read would fail again and again.
    failed: bool,
    last: Option<String>,
    started: bool,
}

impl Merge<'_> {
    /// Puts source `k`'s next string among the heads.
    fn advance(&mut self, k: usize) -> std::io::Result<()> {
        if let Some(next) = self.sources[k].next() {
            self.heads.push(Reverse((next?, k)));
        }
        Ok(())
    }
}

impl Iterator for Merge<'_> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if !self.started {
            self.started = true;
            for k in 0..self.sources.len() {
                if let Err(e) = self.advance(k) {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        loop {
            let Reverse((s, k)) = self.heads.pop()?;
            if let Err(e) = self.advance(k) {
                self.failed = true;
                return Some(Err(e));
            }
            if self.last.as_ref() != Some(&s) {
                self.last = Some(s.clone());
                return Some(Ok(s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_the_file_and_in_memory_read_back_sorted_once_each() {
        let file = Arc::new(FindingsFile::create().unwrap());
        let mut set = SpillSet::new(Some(file));
        let mut expected = BTreeSet::new();
        // Long enough strings, some repeated across runs, to make several runs whose entries
        // straddle the blocks they are read back in.
        for i in 0..20_000u32 {
            let s = format!(
                "arn:aws:secretsmanager:eu-west-1:1:secret:{:05}-{}",
                (i * 7919) % 9001,
                "x".repeat((i % 50) as usize)
            );
            set.insert(&s);
            expected.insert(s);
        }
        assert!(set.runs.len() > 2, "{}", set.runs.len());
        assert!(!set.here.is_empty());
        let got: Vec<String> = set.iter().collect::<std::io::Result<_>>().unwrap();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
        // Without a file, the same set in memory.
        let mut here = SpillSet::new(None);
        for s in ["b", "a", "b"] {
            here.insert(s);
        }
        let got: Vec<String> = here.iter().map(Result::unwrap).collect();
        assert_eq!(got, ["a", "b"]);
        assert!(SpillSet::default().iter().next().is_none());
    }
}
