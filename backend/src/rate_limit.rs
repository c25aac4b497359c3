//! Rate limiting of `/auth/*` per client (the address [`crate::client_ip`] found; an IPv6 client
//! counts per /64, the block one subscriber usually holds), with a clear 429. The limit is per
//! instance: N instances behind a load balancer allow N times the rate.

use crate::client_ip::ClientIp;
use crate::error::AppError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

type Limiter<C> = RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// How often the limiter forgets clients whose bucket is full again.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// The key of a client's bucket: an IPv4 address as is, an IPv6 address's /64 network.
pub fn bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(ipnet::Ipv6Net::new_assert(v6, 64).network()),
        v4 => v4,
    }
}

/// A per-client limiter (`None` when disabled).
pub struct AuthRateLimit<C: Clock = DefaultClock>(Option<Arc<Limiter<C>>>);

impl<C: Clock> Clone for AuthRateLimit<C> {
    fn clone(&self) -> Self {
        AuthRateLimit(self.0.clone())
    }
}

impl AuthRateLimit {
    /// `per_minute` requests per client and minute, in bursts of up to a sixth of that; 0 disables.
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }

    /// Middleware: refuses with 429 and `Retry-After` past the limit. Needs the [`ClientIp`]
    /// extension (set by [`crate::client_ip::ClientIpResolver::layer`]); without it, no limit.
    pub async fn check(limit: AuthRateLimit, request: Request, next: Next) -> Response {
        let client = request.extensions().get::<ClientIp>().map(|c| c.0);
        if let Some(ip) = client
            && let Err(wait) = limit.check_ip(ip)
        {
            let seconds = wait.as_secs().max(1);
            tracing::warn!(reason = "rate_limited", %ip, "too many /auth requests");
            let mut response = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Trop de tentatives de connexion depuis votre adresse. Réessayez dans {seconds} secondes."),
                format!("Too many sign-in attempts from your address. Please try again in {seconds} seconds."),
            )
            .page()
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        next.run(request).await
    }
}

impl<C: Clock + Send + Sync + 'static> AuthRateLimit<C> {
    /// The same limit on another clock (tests use governor's `FakeRelativeClock`).
    pub fn with_clock(per_minute: u32, clock: C) -> Self {
        AuthRateLimit(NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new((per_minute / 6).max(1)).unwrap_or(NonZeroU32::MIN);
            Arc::new(RateLimiter::dashmap_with_clock(Quota::per_minute(rate).allow_burst(burst), clock))
        }))
    }

    /// Counts one request from `ip` in its bucket; past the limit, how long until the next one
    /// is allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter.check_key(&bucket(ip)).map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    /// How many buckets the limiter holds.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |limiter| limiter.len())
    }

    /// Whether the limiter holds no bucket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the buckets that are full again (a client not seen lately is a new client) and
    /// gives the memory back.
    pub fn prune(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Prunes every `every` on the current Tokio runtime, until the last clone of this limiter is
    /// dropped. Does nothing outside a runtime, or when the limit is disabled.
    pub fn spawn_pruning(&self, every: Duration) {
        let (Some(limiter), Ok(runtime)) = (&self.0, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let weak: Weak<Limiter<C>> = Arc::downgrade(limiter);
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(limiter) = weak.upgrade() else {
                    return;
                };
                AuthRateLimit(Some(limiter)).prune();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn ipv6_clients_count_per_64_and_ipv4_per_address() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), ip("2001:db8:1:2::"));
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(bucket(ip("::ffff:198.51.100.7")), ip("198.51.100.7"), "IPv4-mapped is IPv4");
    }

    #[test]
    fn addresses_in_one_64_share_a_bucket() {
        let clock = FakeRelativeClock::default();
        let limit = AuthRateLimit::with_clock(6, clock); // bursts of 1
        assert!(limit.check_ip(ip("2001:db8:1:2::1")).is_ok());
        assert!(limit.check_ip(ip("2001:db8:1:2::ffff")).is_err(), "the same /64");
        assert!(limit.check_ip(ip("2001:db8:1:3::1")).is_ok(), "another /64");
        assert_eq!(limit.len(), 2);
    }

    #[test]
    fn pruning_forgets_clients_whose_bucket_is_full_again() {
        let clock = FakeRelativeClock::default();
        // 60 a minute in bursts of 10: a bucket is full again 10 s after its last request.
        let limit = AuthRateLimit::with_clock(60, clock.clone());
        for n in 0..50u8 {
            assert!(limit.check_ip(IpAddr::from([198, 51, 100, n])).is_ok());
        }
        assert_eq!(limit.len(), 50);
        limit.prune();
        assert_eq!(limit.len(), 50, "every bucket was used just now");
        clock.advance(Duration::from_secs(30));
        assert!(limit.check_ip(ip("203.0.113.1")).is_ok());
        limit.prune();
        assert_eq!(limit.len(), 1, "only the recent client is kept");
        assert!(limit.check_ip(IpAddr::from([198, 51, 100, 0])).is_ok(), "a forgotten client starts afresh");
        clock.advance(Duration::from_secs(30));
        limit.prune();
        assert!(limit.is_empty());
    }

    /// Waits (at most 10 s) for `done`.
    async fn eventually(mut done: impl FnMut() -> bool) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    #[tokio::test]
    async fn the_pruning_task_prunes_and_stops_with_the_limiter() {
        let clock = FakeRelativeClock::default();
        let limit = AuthRateLimit::with_clock(60, clock.clone());
        assert!(limit.check_ip(ip("198.51.100.1")).is_ok());
        clock.advance(Duration::from_secs(30));
        assert_eq!(limit.len(), 1, "kept until pruned");
        limit.spawn_pruning(Duration::from_millis(10));
        assert!(eventually(|| limit.is_empty()).await, "pruned by the task");
        let weak = Arc::downgrade(limit.0.as_ref().expect("enabled"));
        drop(limit);
        assert!(eventually(|| weak.strong_count() == 0).await, "the task does not keep the limiter alive");
    }
}
