//! The process-wide delivery engine: the lanes it runs on (see `lanes`), one pooled HTTP client per
//! lane, and the concurrency permits; created lazily, rebuilt when the configuration changes, and
//! re-created after `fork`.
//!
//! Puma and Sidekiq fork worker processes. A forked child has only the thread that forked, so the
//! parent's lanes (whose threads did not survive) must never be used, nor dropped (dropping a
//! runtime would wait for threads that do not exist): the child leaks them and starts its own,
//! noticing the fork by a change of process id.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::config::DispatchConfig;
use super::lanes::{self, Lanes};
use super::transport::Transport;
use crate::sync::lock;
use crate::Result;

/// What a delivery needs: the lanes to run on, each lane's pooled client, the concurrency permits
/// (shared by all lanes), and the configuration they were built from.
pub struct Engine {
    lanes: Arc<Lanes>,
    /// One per lane, used only from tasks on that lane, so a connection and the requests on it
    /// stay on one thread.
    transports: Vec<Transport>,
    next_lane: AtomicUsize,
    pub permits: Arc<Semaphore>,
    pub config: Arc<DispatchConfig>,
}

impl Engine {
    /// Spawns `future` on the next lane, round robin.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.lanes.handle(self.next_lane()).spawn(future)
    }

    /// A lane index to start from, round robin: spreads single deliveries and fan-outs alike.
    pub fn next_lane(&self) -> usize {
        self.next_lane.fetch_add(1, Ordering::Relaxed)
    }

    /// The lane `index` (any number; taken modulo the lane count).
    pub fn lane(&self, index: usize) -> &Handle {
        self.lanes.handle(index)
    }

    pub fn lane_count(&self) -> usize {
        self.lanes.len()
    }

    /// The HTTP client of the lane the caller runs on; the first lane's on any other thread (it
    /// works from there too, only without the one-thread affinity).
    pub fn transport(&self) -> &Transport {
        let lane = lanes::current().unwrap_or(0);
        &self.transports[lane % self.transports.len()]
    }

    /// Waits for `future` on a thread outside the lanes (a Ruby thread, a test). The future must only
    /// wait: run the work itself with `spawn`.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.lanes.block_on(future)
    }
}

struct State {
    pid: u32,
    config: DispatchConfig,
    lanes: Option<Arc<Lanes>>,
    engine: Option<Arc<Engine>>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// The state for this process, after forgetting whatever a parent process left behind.
fn state_for_this_process(slot: &mut Option<State>) -> &mut State {
    let pid = std::process::id();
    if let Some(state) = slot.as_mut() {
        if state.pid != pid {
            // Forked: the parent's lanes and clients belong to threads that are gone. Leak them.
            std::mem::forget(state.lanes.take());
            std::mem::forget(state.engine.take());
            state.pid = pid;
        }
    }
    slot.get_or_insert_with(|| State {
        pid,
        config: DispatchConfig::default(),
        lanes: None,
        engine: None,
    })
}

/// Replaces the configuration; the next delivery builds clients from it. In-flight deliveries
/// finish with the engine they started with.
pub fn configure(config: DispatchConfig) -> Result<()> {
    config.validate()?;
    let mut slot = lock(&STATE);
    let state = state_for_this_process(&mut slot);
    state.config = config;
    state.engine = None;
    Ok(())
}

/// The configuration in force.
pub fn current_config() -> DispatchConfig {
    state_for_this_process(&mut lock(&STATE)).config.clone()
}

/// The engine for this process, built on first use (and after `configure` or `fork`).
pub fn engine() -> Result<Arc<Engine>> {
    let mut slot = lock(&STATE);
    let state = state_for_this_process(&mut slot);
    if let Some(engine) = &state.engine {
        return Ok(engine.clone());
    }
    let lanes = match &state.lanes {
        Some(lanes) => lanes.clone(),
        None => {
            let lanes = Arc::new(Lanes::start()?);
            state.lanes = Some(lanes.clone());
            lanes
        }
    };
    let config = Arc::new(state.config.clone());
    // The lanes share max_concurrency idle connections per host between them, so the process keeps
    // no more open than one pool did. (A pool grows past its busy connections: a request that finds
    // none idle connects anew even when one is about to come back.)
    let idle_per_host = config.max_concurrency.div_ceil(lanes.len());
    let transports = (0..lanes.len())
        .map(|lane| {
            let _context = lanes.handle(lane).enter();
            Transport::new(&config, idle_per_host)
        })
        .collect::<Result<Vec<_>>>()?;
    let engine = Arc::new(Engine {
        lanes,
        transports,
        next_lane: AtomicUsize::new(0),
        permits: Arc::new(Semaphore::new(config.max_concurrency)),
        config,
    });
    state.engine = Some(engine.clone());
    Ok(engine)
}
