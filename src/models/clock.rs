//! The database's clock. Floating leases are compared against it, not against an
//! instance's clock, so instances whose clocks drift apart still agree on which lease
//! has lapsed. Tests move it forward through the `settings` row [`OFFSET_KEY`], read
//! only when the instance was started with `KEYFOLD_TEST_CLOCK=1`.

use chrono::{Duration, NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use diesel::sql_types::Timestamp;

use crate::db::DbConnection;

/// The `settings` key holding the test clock's offset in seconds.
pub const OFFSET_KEY: &str = "test_clock_offset_seconds";

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamp)]
    now: NaiveDateTime,
}

/// Which clock an instance reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Whether the test offset in `settings` is added (tests only).
    pub test: bool,
}

impl Clock {
    /// The database's time now (UTC), plus the test offset when enabled.
    pub fn now(self, conn: &mut DbConnection) -> QueryResult<NaiveDateTime> {
        let sql = match conn {
            DbConnection::Pg(_) => "SELECT (CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AS now",
            DbConnection::Sqlite(_) => "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now",
        };
        let now = diesel::sql_query(sql).get_result::<Now>(conn)?.now;
        let offset = if self.test {
            super::settings::get(conn, OFFSET_KEY)?
                .and_then(|s| s.trim().parse::<i64>().ok())
                .and_then(Duration::try_seconds)
                .unwrap_or_default()
        } else {
            Duration::zero()
        };
        Ok(now
            .checked_add_signed(offset)
            .unwrap_or(now)
            .trunc_subsecs(3))
    }
}
