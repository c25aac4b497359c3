//! Prometheus metrics: sign-ins by outcome and reason, how long the callback takes, and whether
//! the identity provider answered its last health check.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the callback latency buckets.
const BUCKETS: [f64; 9] = [0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Sign-in counters and the callback latency histogram.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    callback: Mutex<Histogram>,
    /// The provider's last health check: whether it answered, and when.
    provider: Mutex<Option<(bool, Instant)>>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// A poisoned lock only means another request panicked mid-update: the numbers are still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    fn bump(&self, outcome: &'static str, reason: &'static str) {
        *lock(&self.counters).entry((outcome, reason)).or_default() += 1;
    }
    /// A login transaction was started.
    pub fn sign_in_started(&self) {
        self.bump("started", "");
    }
    /// A sign-in completed.
    pub fn sign_in_succeeded(&self) {
        self.bump("success", "");
    }
    /// A sign-in failed, for `reason`.
    pub fn sign_in_failed(&self, reason: &'static str) {
        self.bump("failure", reason);
    }
    /// How long one `/auth/callback` took, whatever its outcome.
    pub fn callback_took(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut histogram = lock(&self.callback);
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }
    /// The provider answered its health check (`up`) or not; returns the previous answer.
    pub fn provider_checked(&self, up: bool) -> Option<bool> {
        lock(&self.provider).replace((up, Instant::now())).map(|(before, _)| before)
    }
    /// The provider's last health check, if any: whether it answered, and how long ago.
    pub fn provider_health(&self) -> Option<(bool, Duration)> {
        lock(&self.provider).map(|(up, at)| (up, at.elapsed()))
    }
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP bff_sign_ins_total Sign-in attempts by outcome and reason.\n# TYPE bff_sign_ins_total counter\n",
        );
        for ((outcome, reason), count) in lock(&self.counters).iter() {
            let _ = writeln!(out, "bff_sign_ins_total{{outcome=\"{outcome}\",reason=\"{reason}\"}} {count}");
        }
        let histogram = lock(&self.callback);
        out.push_str(
            "# HELP bff_callback_duration_seconds Time to answer /auth/callback (code exchange and verification).\n",
        );
        out.push_str("# TYPE bff_callback_duration_seconds histogram\n");
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets.iter()) {
            let _ = writeln!(out, "bff_callback_duration_seconds_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "bff_callback_duration_seconds_bucket{{le=\"+Inf\"}} {}", histogram.count);
        let _ = writeln!(out, "bff_callback_duration_seconds_sum {}", histogram.sum);
        let _ = writeln!(out, "bff_callback_duration_seconds_count {}", histogram.count);
        if let Some((up, age)) = self.provider_health() {
            out.push_str("# HELP bff_provider_up Whether the identity provider answered its last health check.\n");
            out.push_str("# TYPE bff_provider_up gauge\n");
            let _ = writeln!(out, "bff_provider_up {}", u8::from(up));
            out.push_str("# HELP bff_provider_check_age_seconds Time since the identity provider was last checked.\n");
            out.push_str("# TYPE bff_provider_check_age_seconds gauge\n");
            let _ = writeln!(out, "bff_provider_check_age_seconds {:.3}", age.as_secs_f64());
        }
        out
    }
}
