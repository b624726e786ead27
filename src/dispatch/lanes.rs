//! The threads the engine runs on: a few lanes, each a single-threaded tokio runtime on a thread
//! of its own, started once per process (again in a forked child) and never stopped.
//!
//! Why lanes rather than one multi-threaded runtime: a delivery is a ping-pong between the task that
//! sends it and the task that drives its connection. On a multi-threaded runtime those two often sit
//! on different threads (work stealing moves one of them), and every request and response becomes a
//! cross-thread wake-up. A lane keeps both on one thread, and a fan-out spreads its workers over the
//! lanes, each using its own lane's connection pool. Fan-outs of 1000 against a local nginx on two
//! cores: 81-83k deliveries/s on a two-worker runtime, 105-110k on two lanes.

use std::cell::Cell;
use std::future::Future;
use std::sync::mpsc;

use tokio::runtime::Handle;

use crate::{Error, Result};

thread_local! {
    /// The lane this thread drives; `usize::MAX` on every other thread.
    static CURRENT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The lane the calling thread drives, if it is one of the engine's.
pub fn current() -> Option<usize> {
    let lane = CURRENT.with(Cell::get);
    (lane != usize::MAX).then_some(lane)
}

/// Handles to the running lanes.
pub struct Lanes {
    handles: Vec<Handle>,
}

impl Lanes {
    /// One lane per core, at least two (so one slow task cannot hold up every delivery) and at
    /// most four.
    pub fn start() -> Result<Lanes> {
        let count = std::thread::available_parallelism()
            .map(|n| n.get().clamp(2, 4))
            .unwrap_or(2);
        let handles = (0..count).map(start_lane).collect::<Result<Vec<_>>>()?;
        Ok(Lanes { handles })
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn handle(&self, lane: usize) -> &Handle {
        &self.handles[lane % self.handles.len()]
    }

    /// Waits on a thread outside the lanes for `future`, which must only wait (on tasks spawned on
    /// a lane, channels, tokens): I/O and timers belong to the lane threads, and a single-threaded
    /// runtime's driver cannot be run from here.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handles[0].block_on(future)
    }
}

fn start_lane(lane: usize) -> Result<Handle> {
    let failed =
        |e: std::io::Error| Error::Internal(format!("cannot start the delivery lanes: {e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed)?;
    let handle = runtime.handle().clone();
    let (started, ready) = mpsc::channel();
    std::thread::Builder::new()
        .name("chatwoot-integrations".into())
        .spawn(move || {
            CURRENT.with(|c| c.set(lane));
            let _ = started.send(());
            // Drives this lane's tasks, I/O and timers for the life of the process.
            runtime.block_on(std::future::pending::<()>());
        })
        .map_err(failed)?;
    ready
        .recv()
        .map_err(|_| Error::Internal("a delivery lane did not start".into()))?;
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn work_runs_on_the_lane_it_is_spawned_on_and_is_awaited_from_outside() {
        let lanes = Lanes::start().unwrap();
        assert!(lanes.len() >= 2);
        assert_eq!(current(), None);
        for lane in 0..lanes.len() * 2 {
            let task = lanes.handle(lane).spawn(async { current() });
            assert_eq!(lanes.block_on(task).unwrap(), Some(lane % lanes.len()));
        }
        // Timers are driven by the lane's own thread while this thread only waits.
        let task = lanes.handle(1).spawn(async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            current()
        });
        assert_eq!(lanes.block_on(task).unwrap(), Some(1));
    }
}
