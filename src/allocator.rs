//! How the binary's allocator (mimalloc) gives memory back: set once at start, by `main` and by
//! the bench that measures it, and asked once more by the driver after the apps stage.

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (include/mimalloc.h): the crate names
/// no constant for it.
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

/// Tells mimalloc to return freed memory to the system after 1 ms, not 10. A large run frees
/// as much as it keeps (each file's parse, each app's documents), and fast enough that the 10 ms
/// delay kept much of it resident. Measured with `cargo bench --bench convert` on 15,000 task
/// definitions, alternating builds: 83 MiB at peak instead of 125, for about 4 % more time
/// (2.78 s instead of 2.66); purging at once (0) gave 78 MiB for 6 %.
pub fn release_freed_memory_sooner() {
    // SAFETY: sets one of mimalloc's options; any value is valid, and it takes effect from the
    // next purge on, whoever allocates.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1) }
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
