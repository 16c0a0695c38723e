//! The batch benchmark: converts a synthetic inventory of N services × 3 environments into a
//! repository and prints wall time, task definitions per second and peak memory, for N = 1,000,
//! 5,000 and 20,000 (or the N given in ECS2EKS_BENCH_N, comma-separated). Goal: N = 5,000
//! (15,000 task definitions) in under 3 s on 2 cores, under 500 MB.
//!
//! Each N runs in a child process so peak memory (VmHWM) is that run's own. With
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
    if let Ok(n) = std::env::var("ECS2EKS_BENCH_CHILD") {
        return child(n.parse().unwrap());
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this too, as a quick smoke run.
    let default = if std::env::args().any(|a| a == "--bench") {
        "1000,5000,20000"
    } else {
        "50"
    };
    let ns = std::env::var("ECS2EKS_BENCH_N").unwrap_or_else(|_| default.into());
    println!(
        "| N services | task definitions | convert + write | task definitions/s | peak memory | phases (resident memory after each) |"
    );
    println!("|---:|---:|---:|---:|---:|---|");
    for n in ns.split(',').filter(|s| !s.trim().is_empty()) {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env("ECS2EKS_BENCH_CHILD", n.trim())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

fn child(n: usize) {
    // On tmpfs where there is one: the figures are then the tool's, not this machine's disk's
    // (file creation on a busy ext4 costs more than the whole conversion).
    let base = std::env::var("ECS2EKS_BENCH_DIR").unwrap_or_else(|_| {
        if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm".into()
        } else {
            std::env::temp_dir().display().to_string()
        }
    });
    let dir = tempfile::tempdir_in(base).unwrap();
    let input = dir.path().join("snapshot");
    generate::write(&input, n);
    let inventory =
        ecs2eks::inventory::Inventory::parse("inventory.yaml", &generate::inventory_yaml())
            .unwrap();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    let heap = std::env::var_os("ECS2EKS_BENCH_HEAP").is_some();
    COUNT.store(heap, Relaxed);
    let t1 = Instant::now();
    let files = ecs2eks::import::discover(&[input]).unwrap();
    let inputs = ecs2eks::import::read_files(&files);
    let t_read = t1.elapsed();
    let rss_read = rss_mib();
    let heap_read = heap_mib(&LIVE);
    let (conversion, written) = ecs2eks::convert_into(
        inputs,
        &mappings,
        Some(&inventory),
        &dir.path().join("repo"),
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
    assert_eq!(conversion.workloads.len(), n * 3);
    let tds = n * 3;
    println!(
        "| {n} | {tds} | {:.2} s | {:.0} | {} MiB | {phases} |",
        took.as_secs_f64(),
        tds as f64 / took.as_secs_f64(),
        peak_mib(),
    );
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
