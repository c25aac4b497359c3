//! Rate limiting of `/auth/*` per client IP, with a clear 429.

use crate::error::AppError;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// A per-IP limiter (`None` when disabled).
#[derive(Clone)]
pub struct AuthRateLimit(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl AuthRateLimit {
    /// `per_minute` requests per IP and minute, in bursts of up to a sixth of that; 0 disables.
    pub fn new(per_minute: u32) -> Self {
        AuthRateLimit(NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new((per_minute / 6).max(1)).unwrap_or(NonZeroU32::MIN);
            Arc::new(RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)))
        }))
    }

    /// Middleware: refuses with 429 and `Retry-After` past the limit.
    pub async fn check(limit: AuthRateLimit, request: Request, next: Next) -> Response {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        if let (Some(limiter), Some(ip)) = (&limit.0, peer)
            && let Err(not_until) = limiter.check_key(&ip)
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
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
