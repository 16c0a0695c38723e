//! The batch benchmark: converts a synthetic inventory of N services × 3 environments into a
//! repository and prints wall time, task definitions per second and peak memory, for N = 1,000,
//! 5,000 and 20,000 (or the N given in ECS2EKS_BENCH_N, comma-separated). Goal: N = 5,000
//! (15,000 task definitions) in under 3 s on 2 cores, under 500 MB.
//!
//! The inventory is generated once per N; each run is a child process (so peak memory, VmHWM,
//! is that run's own), ECS2EKS_BENCH_RUNS times (5 by default), and the median is reported with
//! every run's time: a shared VM's noise is ±10 %. With
//! ECS2EKS_BENCH_HEAP=1 it also counts the live heap: after reading, at its peak, and what the
//! returned conversion keeps (slower: every allocation is counted).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench prints its figures

#[path = "generate.rs"]
mod generate;

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

fn main() {
    // As the CLI does.
    ecs2eks::allocator::release_freed_memory_sooner();
    if let Ok(input) = std::env::var("ECS2EKS_BENCH_INPUT") {
        return child(std::path::Path::new(&input));
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this too, as a quick smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let ns = std::env::var("ECS2EKS_BENCH_N")
        .unwrap_or_else(|_| if bench { "1000,5000,20000" } else { "50" }.into());
    let runs: usize = std::env::var("ECS2EKS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if bench { 5 } else { 1 });
    // On tmpfs where there is one: the figures are then the tool's, not this machine's disk's
    // (file creation on a busy ext4 costs more than the whole conversion).
    let base = std::env::var("ECS2EKS_BENCH_DIR").unwrap_or_else(|_| {
        if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm".into()
        } else {
            std::env::temp_dir().display().to_string()
        }
    });
    println!(
        "| N services | task definitions | convert + write (median of {runs}) | all runs | task definitions/s | peak memory (median) | last run |"
    );
    println!("|---:|---:|---:|---|---:|---:|---|");
    for n in ns.split(',').filter_map(|s| s.trim().parse::<usize>().ok()) {
        let dir = tempfile::tempdir_in(&base).unwrap();
        generate::write(dir.path(), n);
        // Each run in a child process, so its peak memory (VmHWM) is its own.
        let mut figures: Vec<(f64, u64, String)> = (0..runs)
            .map(|_| {
                let out = std::process::Command::new(std::env::current_exe().unwrap())
                    .env("ECS2EKS_BENCH_INPUT", dir.path())
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout).to_string();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let mut f = stdout.trim().splitn(3, ' ');
                let secs = f.next().and_then(|s| s.parse().ok()).unwrap();
                let peak = f.next().and_then(|s| s.parse().ok()).unwrap();
                (secs, peak, f.next().unwrap_or_default().to_string())
            })
            .collect();
        let all: Vec<String> = figures.iter().map(|f| format!("{:.2}", f.0)).collect();
        let last = figures.last().map(|f| f.2.clone()).unwrap_or_default();
        let mut peaks: Vec<u64> = figures.iter().map(|f| f.1).collect();
        peaks.sort_unstable();
        figures.sort_by(|a, b| a.0.total_cmp(&b.0));
        let median = figures[figures.len() / 2].0;
        let tds = n * 3;
        println!(
            "| {n} | {tds} | {median:.2} s | {} | {:.0} | {} MiB | {last} |",
            all.join(", "),
            tds as f64 / median,
            peaks[peaks.len() / 2],
        );
    }
}

/// One run: converts the inventory in `input` into a repository next to it, and prints
/// `seconds peak-MiB phases`.
fn child(input: &std::path::Path) {
    let inventory =
        ecs2eks::inventory::Inventory::parse("inventory.yaml", &generate::inventory_yaml())
            .unwrap();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    let heap = std::env::var_os("ECS2EKS_BENCH_HEAP").is_some();
    COUNT.store(heap, Relaxed);
    let out = tempfile::tempdir_in(input.parent().unwrap()).unwrap();
    let t1 = Instant::now();
    let files = ecs2eks::import::discover(&[input.to_path_buf()]).unwrap();
    let inputs = ecs2eks::import::read_files(files);
    let t_read = t1.elapsed();
    let rss_read = rss_mib();
    let heap_read = heap_mib(&LIVE);
    let services = inputs.services.len();
    let (conversion, written) = ecs2eks::convert_into(
        inputs,
        &mappings,
        Some(&inventory),
        &out.path().join("repo"),
        &|_, _| {},
    );
    written.unwrap();
    let took = t1.elapsed();
    let mut phases = format!(
        "read {:.2} s ({rss_read} MiB), convert and write {:.2} s",
        t_read.as_secs_f64(),
        (took - t_read).as_secs_f64()
    );
    if heap {
        phases.push_str(&format!(
            "; heap: {heap_read} MiB after reading, {} MiB at peak, {} MiB kept at the end",
            heap_mib(&PEAK),
            heap_mib(&LIVE)
        ));
    }
    assert_eq!(conversion.workloads.len(), services);
    println!("{:.3} {} {phases}", took.as_secs_f64(), peak_mib());
    // Freeing the conversion piece by piece is not part of the figures (the CLI skips it too).
    std::mem::forget(conversion);
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
