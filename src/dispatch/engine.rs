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
use super::resolver::GuardedResolver;
use super::urls::check_literal_host;
use crate::sync::lock;
use crate::{Error, Result};

/// What a delivery needs: the runtime to run on, the pooled client, the concurrency permits, and
/// the configuration they were built from.
pub struct Engine {
    pub runtime: Arc<Runtime>,
    pub client: reqwest::Client,
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
    let client = {
        let _context = runtime.enter();
        build_client(&config)?
    };
    let engine = Arc::new(Engine {
        runtime,
        client,
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

fn build_client(config: &DispatchConfig) -> Result<reqwest::Client> {
    let policy = Arc::new(config.guard.clone());
    let redirect = if config.max_redirects == 0 {
        reqwest::redirect::Policy::none()
    } else {
        // Every hop passes the guard: literal addresses here, names in the resolver at connect time.
        let max = config.max_redirects;
        let policy = policy.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max {
                return attempt.error(format!("more than {max} redirects"));
            }
            match check_literal_host(&policy, attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        })
    };
    reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .dns_resolver(Arc::new(GuardedResolver::new(policy)))
        .redirect(redirect)
        // A proxy would be the address connected to, bypassing the guard's view of the target.
        .no_proxy()
        .connect_timeout(config.timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .pool_max_idle_per_host(config.max_concurrency)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}
