//! What the license API keeps in memory per instance: its rate limits and the checks
//! counted since the last flush. Every [`FLUSH_EVERY`] the counts (per license and day)
//! and the devices' last checks are written in one transaction, off the request path:
//! a crash loses at most the checks of the last [`FLUSH_EVERY`], and a device's last
//! check lags by at most a minute plus that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::rate::Limits;
use crate::config::ApiLimits;
use crate::db::Pool;
use crate::domain::{DeviceId, LicenseId};
use crate::models::license_check;

/// How often counted checks are written.
pub const FLUSH_EVERY: StdDuration = StdDuration::from_secs(2);
/// A device's last check is written at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

#[derive(Default)]
struct Pending {
    counts: HashMap<(LicenseId, NaiveDate), i64>,
    seen: HashMap<DeviceId, NaiveDateTime>,
}

/// The license API's in-memory state (one per instance).
pub struct ApiRuntime {
    pub limits: Limits,
    pending: Mutex<Pending>,
}

impl ApiRuntime {
    pub fn new(limits: &ApiLimits) -> Self {
        ApiRuntime {
            limits: Limits::new(limits),
            pending: Mutex::new(Pending::default()),
        }
    }

    /// Counts a check of a license; a device whose stored last check is older than a
    /// minute gets it moved forward at the next flush.
    pub fn count_check(
        &self,
        license: LicenseId,
        device: Option<(DeviceId, Option<NaiveDateTime>)>,
        now: NaiveDateTime,
    ) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *p.counts.entry((license, now.date())).or_insert(0) += 1;
        if let Some((id, last)) = device {
            let stale = last.is_none_or(|l| now - l >= Duration::seconds(TOUCH_EVERY_SECONDS));
            if stale {
                p.seen.insert(id, now);
            }
        }
    }

    /// Writes what was counted since the last flush. On failure the counts are dropped
    /// (and logged): retrying them forever could block every later flush.
    pub fn flush(&self, pool: &Pool) {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if taken.counts.is_empty() && taken.seen.is_empty() {
            return;
        }
        let counts: Vec<_> = taken
            .counts
            .into_iter()
            .map(|((l, d), n)| (l, d, n))
            .collect();
        let seen: Vec<_> = taken.seen.into_iter().collect();
        let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            crate::db::write_tx(&mut conn, |conn| {
                license_check::add_counts(conn, &counts)?;
                crate::models::usage::add_checks(conn, &counts)?;
                license_check::touch_devices(conn, &seen)
            })
            .map_err(|e| e.to_string())
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, checks = counts.iter().map(|c| c.2).sum::<i64>(), "could not write counted license checks");
        }
        self.limits.tidy();
    }
}

/// Stops the flusher (after a last flush).
pub struct Flusher {
    stop: Arc<AtomicBool>,
}

impl Flusher {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Flushes the counted checks every [`FLUSH_EVERY`] until stopped.
pub fn spawn_flusher(runtime: actix_web::web::Data<ApiRuntime>, pool: Pool) -> Flusher {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            let done = stopped.load(Ordering::SeqCst);
            let (r, p) = (runtime.clone(), pool.clone());
            let _ = tokio::task::spawn_blocking(move || r.flush(&p)).await;
            if done {
                break;
            }
        }
    });
    Flusher { stop }
}
