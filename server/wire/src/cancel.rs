//! CancelRequest: finds the session by (process id, secret key) and stops its statement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;

use aloe_engine::Session;

type Key = (i32, Bytes);

/// Live sessions by their BackendKeyData, so a cancel from another socket can reach them.
#[derive(Debug, Default)]
pub struct Registry {
    /// Weak so that a closed connection's session is never kept alive by the registry.
    sessions: Mutex<HashMap<Key, Weak<Session>>>,
}

/// Removes the session from the registry when its connection ends.
#[derive(Debug)]
pub struct Registration {
    /// The registry to leave.
    registry: Arc<Registry>,
    /// The key this connection registered under.
    key: Key,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry
            .sessions
            .lock()
            .expect("registry lock")
            .remove(&self.key);
    }
}

impl Registry {
    /// Registers a session under its key; dropping the result unregisters it.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        session: &Arc<Session>,
    ) -> Registration {
        let key = (pid, secret.to_bytes());
        self.sessions
            .lock()
            .expect("registry lock")
            .insert(key.clone(), Arc::downgrade(session));
        Registration {
            registry: self.clone(),
            key,
        }
    }

    /// Cancels the statement of the session with that key; unknown keys are ignored, as
    /// PostgreSQL does, so the request reveals nothing.
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let session = self
            .sessions
            .lock()
            .expect("registry lock")
            .get(&(pid, secret.to_bytes()))
            .and_then(Weak::upgrade);
        match session {
            Some(s) => {
                s.cancel();
                true
            }
            None => false,
        }
    }
}

#[async_trait]
impl CancelHandler for super::Frontend {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let found = self.registry.cancel(request.pid, &request.secret_key);
        tracing::info!(pid = request.pid, found, "cancel request");
    }
}
