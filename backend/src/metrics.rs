//! Prometheus counters: sign-ins by outcome and reason.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Sign-in counters.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl Metrics {
    fn bump(&self, outcome: &'static str, reason: &'static str) {
        *self.counters.lock().expect("metrics lock").entry((outcome, reason)).or_default() += 1;
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
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::from("# HELP bff_sign_ins_total Sign-in attempts by outcome and reason.\n# TYPE bff_sign_ins_total counter\n");
        for ((outcome, reason), count) in self.counters.lock().expect("metrics lock").iter() {
            out.push_str(&format!("bff_sign_ins_total{{outcome=\"{outcome}\",reason=\"{reason}\"}} {count}\n"));
        }
        out
    }
}
