//! The license API's rate limits (`governor`, in memory per instance): requests per
//! license once it is found (keyed by license id, never by whatever key a client
//! sends, so memory stays bounded), and failures per client address (IPv6 by /64):
//! an address that spends its failures is refused before any lookup until its budget
//! refills. Password failures are counted in the database instead (`login_attempts`),
//! so they hold across instances. Refusals are `429 rate_limited` with `Retry-After`,
//! `RateLimit` and `RateLimit-Policy`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::problem::ApiProblem;
use crate::config::ApiLimits;
use crate::domain::LicenseId;

/// Addresses refused at once at most (the oldest refusal is forgotten first).
const MAX_BLOCKED: usize = 100_000;

pub struct Limits {
    per_license: DefaultKeyedRateLimiter<LicenseId>,
    failures: DefaultKeyedRateLimiter<String>,
    blocked: Mutex<HashMap<String, Instant>>,
    config: ApiLimits,
}

/// The key of a client address: an IPv4 address, or an IPv6 address's /64.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.chars().take(64).collect(),
    }
}

fn quota(per_minute: u32) -> Quota {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

/// A `429 rate_limited` saying when to come back.
fn limited(policy: &str, per_minute: u32, wait: Duration) -> ApiProblem {
    let secs = wait.as_secs().max(1);
    ApiProblem::of(
        "rate_limited",
        format!("Too many requests: try again in {secs} seconds."),
    )
    .with_headers(vec![
        ("retry-after", secs.to_string()),
        (
            "ratelimit-policy",
            format!("\"{policy}\";q={per_minute};w=60"),
        ),
        ("ratelimit", format!("\"{policy}\";r=0;t={secs}")),
    ])
}

impl Limits {
    pub fn new(config: &ApiLimits) -> Self {
        Limits {
            per_license: RateLimiter::keyed(quota(config.license_per_minute)),
            failures: RateLimiter::keyed(quota(config.failures_per_minute)),
            blocked: Mutex::new(HashMap::new()),
            config: config.clone(),
        }
    }

    /// Refuses an address that spent its failures, before anything is looked up.
    pub fn address_allowed(&self, ip: &str) -> Result<(), ApiProblem> {
        let key = address_key(ip);
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        match blocked.get(&key) {
            Some(until) if *until > Instant::now() => Err(limited(
                "failures",
                self.config.failures_per_minute,
                until.saturating_duration_since(Instant::now()),
            )),
            Some(_) => {
                blocked.remove(&key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failure (unknown key, wrong token, refused credentials) of an address;
    /// the failure that spends the budget blocks the address until it refills.
    pub fn failed(&self, ip: &str) {
        let key = address_key(ip);
        if let Err(not_until) = self.failures.check_key(&key) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
            if blocked.len() >= MAX_BLOCKED {
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
                if blocked.len() >= MAX_BLOCKED {
                    blocked.clear();
                }
            }
            blocked.insert(key, Instant::now() + wait);
        }
    }

    /// Counts a request for a found license, or refuses it.
    pub fn license_allowed(&self, license: LicenseId) -> Result<(), ApiProblem> {
        self.per_license.check_key(&license).map_err(|not_until| {
            limited(
                "license",
                self.config.license_per_minute,
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    /// Forgets keys whose budget is full again (run every few seconds).
    pub fn tidy(&self) {
        self.per_license.retain_recent();
        self.per_license.shrink_to_fit();
        self.failures.retain_recent();
        self.failures.shrink_to_fit();
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        blocked.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_address_counts_by_its_64_prefix() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn an_address_that_spends_its_failures_is_refused_before_lookups() {
        let limits = Limits::new(&ApiLimits {
            license_per_minute: 2,
            failures_per_minute: 3,
            ..ApiLimits::default()
        });
        for _ in 0..3 {
            assert!(limits.address_allowed("192.0.2.1").is_ok());
            limits.failed("192.0.2.1");
        }
        assert!(limits.address_allowed("192.0.2.1").is_ok());
        limits.failed("192.0.2.1");
        let refused = limits.address_allowed("192.0.2.1").unwrap_err();
        assert_eq!(refused.code, "rate_limited");
        assert!(refused.headers.iter().any(|(h, _)| *h == "retry-after"));
        assert!(
            limits.address_allowed("192.0.2.2").is_ok(),
            "another address"
        );
        assert!(limits.license_allowed(LicenseId(1)).is_ok());
        assert!(limits.license_allowed(LicenseId(1)).is_ok());
        assert!(limits.license_allowed(LicenseId(1)).is_err());
        assert!(
            limits.license_allowed(LicenseId(2)).is_ok(),
            "another license"
        );
    }
}
