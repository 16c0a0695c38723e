//! The batch benchmark: converts a synthetic inventory of N services × 3 environments into a
//! repository and prints wall time, task definitions per second and peak memory, for N = 1,000,
//! 5,000 and 20,000 (or the N given in ECS2EKS_BENCH_N, comma-separated). Goals (issue 23):
//! N = 5,000 (15,000 task definitions) in at most 2× the time `tar -x` takes to write the same
//! tree, t(5,000) / t(1,000) ≤ 5.5, peak memory ≤ 150 MB at N = 5,000 and ≤ 400 MB at 20,000.
//!
//! The inventory (benches/generate.rs: task definitions, services, their ALBs, listeners, rules
//! and target groups, their task roles) is generated once per N; each run is a child process (so
//! peak memory, VmHWM, is that run's own), ECS2EKS_BENCH_RUNS times (5 by default), and the
//! median is reported with every run's time: a shared VM's noise is ±10 %. With
//! ECS2EKS_BENCH_HEAP=1 it also counts the live heap: after reading, at its peak, and what the
//! returned conversion keeps (slower: every allocation is counted).
//!
//! The floor: how long the filesystem alone takes to create the same tree. The first run's
//! repository is archived once (`tar -cf`); after each conversion run, `tar -xf` writes it into a
//! new empty folder next to it (conversion, tar, conversion, tar…, so both see the same state of
//! the machine), and the table gives the median of those and the ratio conversion / tar. Folders
//! are removed between runs, untimed. ECS2EKS_BENCH_DIR chooses where all this happens (tmpfs,
//! /dev/shm, by default).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench prints its figures

#[path = "generate.rs"]
mod generate;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// mimalloc, counting live heap bytes when ECS2EKS_BENCH_HEAP is set, so the figures can say
/// what the conversion holds (resident memory also has what the allocator keeps for reuse).
struct Counting;
static COUNT: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        if COUNT.load(Relaxed) {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        unsafe { mimalloc::MiMalloc.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        if COUNT.load(Relaxed) {
            LIVE.fetch_sub(l.size(), Relaxed);
        }
        unsafe { mimalloc::MiMalloc.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, n: usize) -> *mut u8 {
        if COUNT.load(Relaxed) {
            let now = LIVE
                .fetch_add(n.wrapping_sub(l.size()), Relaxed)
                .wrapping_add(n.wrapping_sub(l.size()));
            PEAK.fetch_max(now, Relaxed);
        }
        unsafe { mimalloc::MiMalloc.realloc(p, l, n) }
    }
}

fn heap_mib(counter: &AtomicUsize) -> usize {
    counter.load(Relaxed) >> 20
}

/// The library calls of one conversion, in one place so that a change of the library's API is
/// adapted here only: reads the inventory in `input`, converts it and writes the repository
/// into `out`; returns the number of services converted.
fn convert_once(input: &Path, out: &Path) -> usize {
    let inventory =
        ecs2eks::inventory::Inventory::parse("inventory.yaml", &generate::inventory_yaml())
            .unwrap();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    let files = ecs2eks::import::discover(&[input.to_path_buf()]).unwrap();
    let inputs = ecs2eks::import::read_files(files);
    read_done();
    let (conversion, written) =
        ecs2eks::convert_into(inputs, &mappings, Some(&inventory), out, &|_, _| {});
    written.unwrap();
    let services = conversion.workloads.len();
    // Freeing the conversion piece by piece is not part of the figures (the CLI skips it too).
    std::mem::forget(conversion);
    services
}

/// When reading the inputs ended, with resident memory and live heap then (for the "last run"
/// column; optional: without it, that column gives the total only).
static READ_DONE: Mutex<Option<(Instant, u64, usize)>> = Mutex::new(None);

fn read_done() {
    *READ_DONE.lock().unwrap() = Some((Instant::now(), rss_mib(), heap_mib(&LIVE)));
}

fn main() {
    // As the CLI does.
    ecs2eks::allocator::set_up();
    if let Ok(input) = std::env::var("ECS2EKS_BENCH_INPUT") {
        return child(Path::new(&input));
    }
    // `ECS2EKS_BENCH_GENERATE=DIR,N`: only write the inventory of N services (and
    // DIR/inventory.yaml), to profile the CLI on it.
    if let Ok(spec) = std::env::var("ECS2EKS_BENCH_GENERATE") {
        let (dir, n) = spec.rsplit_once(',').expect("DIR,N");
        generate::write(Path::new(dir), n.parse().expect("N is a number"));
        std::fs::write(
            Path::new(dir).join("inventory.yaml"),
            generate::inventory_yaml(),
        )
        .unwrap();
        return;
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this too, as a quick smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let ns = std::env::var("ECS2EKS_BENCH_N")
        .unwrap_or_else(|_| if bench { "1000,5000,20000" } else { "50" }.into());
    let runs: usize = std::env::var("ECS2EKS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if bench { 5 } else { 1 })
        .max(1);
    // On tmpfs where there is one: the figures are then the tool's, not this machine's disk's
    // (file creation on a busy ext4 costs more than the whole conversion).
    let base = std::env::var("ECS2EKS_BENCH_DIR").unwrap_or_else(|_| {
        if Path::new("/dev/shm").is_dir() {
            "/dev/shm".into()
        } else {
            std::env::temp_dir().display().to_string()
        }
    });
    println!(
        "| N services | task definitions | convert + write (median of {runs}) | all runs | task definitions/s | peak memory (median) | tar -x (median) | all tar runs | convert / tar | repository | last run |"
    );
    println!("|---:|---:|---:|---|---:|---:|---:|---|---:|---|---|");
    let mut medians: Vec<(usize, f64)> = Vec::new();
    for n in ns.split(',').filter_map(|s| s.trim().parse::<usize>().ok()) {
        let dir = tempfile::tempdir_in(&base).unwrap();
        let input = dir.path().join("input");
        generate::write(&input, n);
        let repo = dir.path().join("repo");
        let archive = dir.path().join("repo.tar");
        let untarred = dir.path().join("untarred");
        let mut figures: Vec<(f64, u64, String)> = Vec::new();
        let mut tars: Vec<f64> = Vec::new();
        let mut tree = (0, 0);
        let mut archived = false;
        for run in 0..runs {
            figures.push(convert_in_child(&input, &repo, n * 3));
            if run == 0 {
                tree = tree_size(&repo);
                archived = tar(&["-cf", path(&archive), "-C", path(&repo), "."]);
            }
            std::fs::remove_dir_all(&repo).unwrap();
            if archived {
                std::fs::create_dir(&untarred).unwrap();
                let t = Instant::now();
                assert!(tar(&["-xf", path(&archive), "-C", path(&untarred)]));
                tars.push(t.elapsed().as_secs_f64());
                std::fs::remove_dir_all(&untarred).unwrap();
            }
        }
        let all: Vec<String> = figures.iter().map(|f| format!("{:.2}", f.0)).collect();
        let all_tars: Vec<String> = tars.iter().map(|t| format!("{t:.2}")).collect();
        let last = figures.last().map(|f| f.2.clone()).unwrap_or_default();
        let peaks = median(figures.iter().map(|f| f.1 as f64).collect());
        let secs = median(figures.iter().map(|f| f.0).collect());
        let (tar_median, ratio) = if tars.is_empty() {
            ("n/a".to_string(), "n/a".to_string())
        } else {
            let t = median(tars);
            (format!("{t:.2} s"), format!("{:.1}", secs / t))
        };
        let tds = n * 3;
        println!(
            "| {n} | {tds} | {secs:.2} s | {} | {:.0} | {peaks:.0} MiB | {tar_median} | {} | {ratio} | {} files, {:.0} MB | {last} |",
            all.join(", "),
            tds as f64 / secs,
            all_tars.join(", "),
            tree.0,
            tree.1 as f64 / 1e6,
        );
        medians.push((n, secs));
    }
    let at = |n: usize| medians.iter().find(|m| m.0 == n).map(|m| m.1);
    if let (Some(t1000), Some(t5000)) = (at(1000), at(5000)) {
        println!(
            "\nt(5000) / t(1000) = {:.2} (5.00 if linear)",
            t5000 / t1000
        );
    }
}

/// The median (the upper one of an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Runs the system `tar` with `args`; false if it could not run or failed.
fn tar(args: &[&str]) -> bool {
    std::process::Command::new("tar")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// Files and bytes under `dir`.
fn tree_size(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let (files, bytes) = tree_size(&entry.path());
            total = (total.0 + files, total.1 + bytes);
        } else {
            total = (total.0 + 1, total.1 + meta.len());
        }
    }
    total
}

/// One conversion run, in a child process so that its peak memory (VmHWM) is its own: converts
/// `input` into `out` and returns (seconds, peak MiB, phases).
fn convert_in_child(input: &Path, out: &Path, services: usize) -> (f64, u64, String) {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("ECS2EKS_BENCH_INPUT", input)
        .env("ECS2EKS_BENCH_OUT", out)
        .env("ECS2EKS_BENCH_SERVICES", services.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout).to_string();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let mut f = stdout.trim().splitn(3, ' ');
    let secs = f.next().and_then(|s| s.parse().ok()).unwrap();
    let peak = f.next().and_then(|s| s.parse().ok()).unwrap();
    (secs, peak, f.next().unwrap_or_default().to_string())
}

/// One run (the child process): converts the inventory in `input` into ECS2EKS_BENCH_OUT, and
/// prints `seconds peak-MiB phases`.
fn child(input: &Path) {
    let out = std::path::PathBuf::from(std::env::var_os("ECS2EKS_BENCH_OUT").unwrap());
    let expected: usize = std::env::var("ECS2EKS_BENCH_SERVICES")
        .unwrap()
        .parse()
        .unwrap();
    let heap = std::env::var_os("ECS2EKS_BENCH_HEAP").is_some();
    COUNT.store(heap, Relaxed);
    let t1 = Instant::now();
    let services = convert_once(input, &out);
    let took = t1.elapsed();
    assert_eq!(services, expected);
    let read = *READ_DONE.lock().unwrap();
    let mut phases = match read {
        Some((at, rss_read, _)) => format!(
            "read {:.2} s ({rss_read} MiB), convert and write {:.2} s",
            (at - t1).as_secs_f64(),
            (took - (at - t1)).as_secs_f64()
        ),
        None => format!("{:.2} s in all", took.as_secs_f64()),
    };
    if heap {
        let after_reading = read.map_or(String::new(), |r| format!("{} MiB after reading, ", r.2));
        phases.push_str(&format!(
            "; heap: {after_reading}{} MiB at peak, {} MiB kept at the end",
            heap_mib(&PEAK),
            heap_mib(&LIVE)
        ));
    }
    println!("{:.3} {} {phases}", took.as_secs_f64(), peak_mib());
}

/// Resident memory now, from /proc (Linux).
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
