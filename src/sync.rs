//! Locking the crate's few process-wide and per-call Mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, keeping on after a panic poisoned it. Every value the crate keeps under a lock
/// is written in single assignments (a cache entry, a slot, a queue position), so a panic while
/// holding one cannot leave it half-written, and refusing it would only turn one bug into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
