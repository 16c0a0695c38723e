//! Findings (and other per-workload values) moved out of memory. The first read moves the
//! findings about each task definition and service it keeps by identity to a temporary file
//! (`import::whole` reads them back), then the identity itself (`import::Parked`); as each app is converted, a large run moves its workloads'
//! role bindings there (the IAM plan reads them back) and, once the app is written
//! (`convert --out`), their findings and the rest of each workload (`translate::held`); long
//! sorted lists wait there as runs (`spill_set`). They are the largest things a run would
//! otherwise keep per workload until the end.

use super::{Code, Finding, Severity};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

/// An unlinked temporary file of encoded findings; it goes away with the process. Written and
/// read at offsets (no shared cursor, no lock): every thread of a run uses it at once.
pub struct FindingsFile {
    file: std::fs::File,
    /// Where the next bytes go: each `put` takes its range first.
    end: AtomicU64,
}

/// Where one workload's findings are in the file, and the worst of them (for its status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spilled {
    at: Stored,
    pub worst: Option<Severity>,
}

/// Where bytes put with `put_bytes` are in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    offset: u64,
    len: u32,
}

impl std::fmt::Debug for FindingsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FindingsFile")
    }
}

impl FindingsFile {
    /// A new file in the system's temporary folder, removed from the folder at once.
    pub fn create() -> std::io::Result<FindingsFile> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            ".ecs2eks-findings-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Unix keeps an unlinked file while it is open: nothing is left behind, even on a crash.
        // Where removing an open file fails, it stays until the temporary folder is cleaned.
        let _ = std::fs::remove_file(&path);
        Ok(FindingsFile {
            file,
            end: AtomicU64::new(0),
        })
    }

    /// Appends `findings`; None when they could not be written (they then stay in memory).
    pub fn put(&self, findings: &[Finding]) -> Option<Spilled> {
        let mut bytes = Vec::new();
        for f in findings {
            f.encode(&mut bytes);
        }
        Some(Spilled {
            at: self.put_bytes(&bytes)?,
            worst: findings.iter().map(|f| f.severity).max(),
        })
    }

    /// Appends `bytes` (other values a large run moves out of memory); None when they could not
    /// be written.
    pub fn put_bytes(&self, bytes: &[u8]) -> Option<Stored> {
        let len = u32::try_from(bytes.len()).ok()?;
        // A range that fails to be written is left as a hole nothing points at.
        let offset = self.end.fetch_add(u64::from(len), Ordering::Relaxed);
        self.file.write_all_at(bytes, offset).ok()?;
        Some(Stored { offset, len })
    }

    /// The bytes `at` points at.
    pub fn get_bytes(&self, at: &Stored) -> std::io::Result<Vec<u8>> {
        let mut bytes = vec![0; at.len as usize];
        self.file.read_exact_at(&mut bytes, at.offset)?;
        Ok(bytes)
    }

    /// The findings `spilled` points at, in the order they were put.
    pub fn get(&self, spilled: &Spilled) -> std::io::Result<Vec<Finding>> {
        let bytes = self.get_bytes(&spilled.at)?;
        let mut rest = bytes.as_slice();
        let mut out = Vec::new();
        while !rest.is_empty() {
            out.push(Finding::decode(&mut rest).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt findings file")
            })?);
        }
        Ok(out)
    }
}

/// One workload's findings: those in the findings file, if any, then those added since. They are
/// read back when used (`load`, or when serialized), so a report holds a batch at a time.
#[derive(Clone, Copy)]
pub struct WorkloadFindings<'a> {
    pub file: Option<(&'a FindingsFile, &'a Spilled)>,
    pub in_memory: &'a [Finding],
}

impl<'a> WorkloadFindings<'a> {
    pub fn load(&self) -> std::io::Result<std::borrow::Cow<'a, [Finding]>> {
        match self.file {
            None => Ok(std::borrow::Cow::Borrowed(self.in_memory)),
            Some((file, spilled)) => {
                let mut all = file.get(spilled)?;
                all.extend_from_slice(self.in_memory);
                Ok(std::borrow::Cow::Owned(all))
            }
        }
    }
}

impl serde::Serialize for WorkloadFindings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.load()
            .map_err(|e| serde::ser::Error::custom(format!("reading findings back: {e}")))?
            .serialize(s)
    }
}

/// Little-endian numbers and length-prefixed text: the encoding of what a large run moves to the
/// findings file (findings here, workload records in `translate::held`, the inputs' identities in
/// `import::reread`).
pub mod codec {
    pub fn put_u64(out: &mut Vec<u8>, n: u64) {
        out.extend_from_slice(&n.to_le_bytes());
    }

    pub fn put_text(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    pub fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
        let (head, tail) = bytes.split_at_checked(n)?;
        *bytes = tail;
        Some(head)
    }

    pub fn take_u64(bytes: &mut &[u8]) -> Option<u64> {
        Some(u64::from_le_bytes(take(bytes, 8)?.try_into().ok()?))
    }

    pub fn take_text(bytes: &mut &[u8]) -> Option<String> {
        let len = u32::from_le_bytes(take(bytes, 4)?.try_into().ok()?) as usize;
        String::from_utf8(take(bytes, len)?.to_vec()).ok()
    }

    pub fn put_texts<'s>(out: &mut Vec<u8>, texts: impl Iterator<Item = &'s str>, len: usize) {
        put_u64(out, len as u64);
        for s in texts {
            put_text(out, s);
        }
    }

    pub fn take_texts(bytes: &mut &[u8]) -> Option<Vec<String>> {
        (0..take_u64(bytes)?).map(|_| take_text(bytes)).collect()
    }

    pub fn put_option(out: &mut Vec<u8>, n: Option<i64>) {
        match n {
            None => out.push(0),
            Some(n) => {
                out.push(1);
                put_u64(out, n as u64);
            }
        }
    }

    pub fn take_option(bytes: &mut &[u8]) -> Option<Option<i64>> {
        match take(bytes, 1)?[0] {
            0 => Some(None),
            1 => Some(Some(take_u64(bytes)? as i64)),
            _ => None,
        }
    }

    pub fn put_optional_text(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                put_text(out, s);
            }
        }
    }

    pub fn take_optional_text(bytes: &mut &[u8]) -> Option<Option<String>> {
        match take(bytes, 1)?[0] {
            0 => Some(None),
            1 => Some(Some(take_text(bytes)?)),
            _ => None,
        }
    }
}

impl Stored {
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `len` bytes of it from `from`.
    pub fn part(&self, from: u32, len: u32) -> Stored {
        debug_assert!(from + len <= self.len);
        Stored {
            offset: self.offset + u64::from(from),
            len,
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        codec::put_u64(out, self.offset);
        codec::put_u64(out, u64::from(self.len));
    }

    pub fn decode(bytes: &mut &[u8]) -> Option<Stored> {
        Some(Stored {
            offset: codec::take_u64(bytes)?,
            len: u32::try_from(codec::take_u64(bytes)?).ok()?,
        })
    }
}

impl Spilled {
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.at.encode(out);
        out.push(self.worst.map_or(0, |s| s as u8 + 1));
    }

    pub fn decode(bytes: &mut &[u8]) -> Option<Spilled> {
        let at = Stored::decode(bytes)?;
        let worst = match codec::take(bytes, 1)?[0] {
            0 => None,
            n => Some(Severity::from_u8(n - 1)?),
        };
        Some(Spilled { at, worst })
    }
}

impl Severity {
    fn from_u8(n: u8) -> Option<Severity> {
        match n {
            0 => Some(Severity::Info),
            1 => Some(Severity::Warning),
            2 => Some(Severity::Error),
            _ => None,
        }
    }
}

impl Finding {
    /// Code (its index in `Code::ALL`), severity, then input, field and message, each with its
    /// length. The help is the code's.
    fn encode(&self, out: &mut Vec<u8>) {
        let code = Code::ALL.iter().position(|c| *c == self.code).unwrap_or(0) as u16;
        out.extend_from_slice(&code.to_le_bytes());
        out.push(self.severity as u8);
        for s in [&self.input, &self.field, &self.message] {
            codec::put_text(out, s);
        }
    }

    fn decode(bytes: &mut &[u8]) -> Option<Finding> {
        use codec::{take, take_text};
        let code = *Code::ALL.get(u16::from_le_bytes(take(bytes, 2)?.try_into().ok()?) as usize)?;
        let severity = Severity::from_u8(take(bytes, 1)?[0])?;
        Some(Finding {
            code,
            severity,
            input: take_text(bytes)?,
            field: take_text(bytes)?,
            message: take_text(bytes)?,
            help: code.help(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_come_back_as_they_were_put() {
        let file = FindingsFile::create().unwrap();
        let mut a = Finding::new(Code::AwsTags, "tags", "2 tag(s) — not converted");
        a.input = "dev/td.json".into();
        let b = Finding::new(Code::TaskDefinitionNotFound, "", "");
        let first = file.put(&[a.clone(), b.clone()]).unwrap();
        let empty = file.put(&[]).unwrap();
        let second = file.put(std::slice::from_ref(&b)).unwrap();
        assert_eq!(first.worst, Some(Severity::Error));
        assert_eq!(empty.worst, None);
        assert_eq!(file.get(&second).unwrap(), std::slice::from_ref(&b));
        assert_eq!(file.get(&first).unwrap(), [a, b]);
        assert!(file.get(&empty).unwrap().is_empty());
    }
}
