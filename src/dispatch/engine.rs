//! The process-wide delivery engine: one tokio runtime and one pooled HTTP client per process,
//! created lazily, rebuilt when the configuration changes, and re-created after `fork`.
//!
//! Puma and Sidekiq fork worker processes. A forked child has only the thread that forked, so the
//! parent's runtime (whose worker threads did not survive) must never be used, nor dropped (dropping
//! would wait for threads that do not exist): the child leaks it and builds its own, noticing the
//! fork by a change of process id.

use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use super::config::DispatchConfig;
use super::transport::Transport;
use crate::sync::lock;
use crate::{Error, Result};

/// What a delivery needs: the runtime to run on, the pooled client, the concurrency permits, and
/// the configuration they were built from.
pub struct Engine {
    pub runtime: Arc<Runtime>,
    pub transport: Transport,
    pub permits: Arc<Semaphore>,
    pub config: Arc<DispatchConfig>,
}

struct State {
    pid: u32,
    config: DispatchConfig,
    runtime: Option<Arc<Runtime>>,
    engine: Option<Arc<Engine>>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// The state for this process, after forgetting whatever a parent process left behind.
fn state_for_this_process(slot: &mut Option<State>) -> &mut State {
    let pid = std::process::id();
    if let Some(state) = slot.as_mut() {
        if state.pid != pid {
            // Forked: the parent's runtime and client belong to threads that are gone. Leak them.
            std::mem::forget(state.runtime.take());
            std::mem::forget(state.engine.take());
            state.pid = pid;
        }
    }
    slot.get_or_insert_with(|| State {
        pid,
        config: DispatchConfig::default(),
        runtime: None,
        engine: None,
    })
}

/// Replaces the configuration; the next delivery builds a client from it. In-flight deliveries
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
    let runtime = match &state.runtime {
        Some(runtime) => runtime.clone(),
        None => {
            let runtime = Arc::new(build_runtime()?);
            state.runtime = Some(runtime.clone());
            runtime
        }
    };
    let config = Arc::new(state.config.clone());
    let transport = {
        let _context = runtime.enter();
        Transport::new(&config)?
    };
    let engine = Arc::new(Engine {
        runtime,
        transport,
        permits: Arc::new(Semaphore::new(config.max_concurrency)),
        config,
    });
    state.engine = Some(engine.clone());
    Ok(engine)
}

fn build_runtime() -> Result<Runtime> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().clamp(2, 4))
        .unwrap_or(2);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("chatwoot-integrations")
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the delivery runtime: {e}")))
}
