//! How the binary's allocator (mimalloc) holds memory and gives it back: set once at start, by
//! `main` and by the bench that measures it, and asked once more by the driver after the apps
//! stage.

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (include/mimalloc.h): the crate names
/// no constant for it.
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

/// How memory is held for the whole run:
///
/// - mimalloc returns freed memory to the system after 1 ms, not 10. A large run frees as much
///   as it keeps (each file's parse, each app's documents), and fast enough that the 10 ms delay
///   kept much of it resident. Measured with `cargo bench --bench convert` on 15,000 task
///   definitions, alternating builds: 83 MiB at peak instead of 125, for about 4 % more time
///   (2.78 s instead of 2.66); purging at once (0) gave 78 MiB for 6 %.
/// - No transparent huge pages (Linux): mimalloc asks for them on its arenas, and a 2 MiB page
///   that holds a few live blocks stays resident whole, and costs the kernel a 2 MiB clear and
///   compaction on each fault. At N = 20,000 of the bench, alternating runs: 29.2–29.7 s instead
///   of 32.9–33.2, 10.1–10.3 s of system time instead of 12.3–12.4, and 663–674 MiB at peak
///   instead of 681–710. (mimalloc reads its own switch for this, `MIMALLOC_ALLOW_THP`, before
///   `main` runs; the process-wide switch covers its arenas already made.)
pub fn set_up() {
    // SAFETY: sets one of mimalloc's options; any value is valid, and it takes effect from the
    // next purge on, whoever allocates.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1) }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and changes only this process's
    // page policy; on a kernel without it the call fails, and nothing else changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Gives back to the system what every thread has freed. mimalloc keeps what one thread frees of
/// another's memory until the owner allocates again, and after the apps stage the workers that
/// allocated the inputs sit idle: without this, what the passes after the apps allocate came on
/// top of everything the apps had freed (at N = 20,000 of the bench, 800 MiB resident after the
/// apps instead of 550).
pub fn give_back_freed_memory() {
    // SAFETY: mi_collect only frees what mimalloc already holds as free, on the calling thread.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    unsafe { libmimalloc_sys::mi_collect(true) }
}
