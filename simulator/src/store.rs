//! In-memory state of the provider: pending interactions, codes, access and refresh tokens,
//! sessions.
//! Instants come from the simulator's clock.

use proconnect_types::Scopes;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// A record whose lifetime runs from an instant of creation.
pub trait Created {
    /// When the record's lifetime started.
    fn created(&self) -> Instant;
}

/// Records by key, with an index by creation instant so that pruning only visits the expired.
pub struct Records<T> {
    map: HashMap<String, T>,
    /// `(created, key)` of every record inserted, earliest first. Records removed early leave
    /// their entry behind until it comes up; it is then dropped. A heap rather than a queue in
    /// insertion order because a record's instant can be earlier than the last one inserted (a
    /// consumed code is remembered from the code's own creation; handlers read the clock before
    /// taking the store's lock).
    by_age: BinaryHeap<Reverse<(Instant, String)>>,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records { map: HashMap::new(), by_age: BinaryHeap::new() }
    }
}

/// Records of one kind kept at most: past it, the oldest are forgotten first, so that a simulator
/// exposed by mistake cannot be made to fill its memory (e.g. with authorization requests).
pub const MAX_RECORDS: usize = 100_000;

impl<T: Created> Records<T> {
    /// Adds (or replaces) the record under `key`, forgetting the oldest beyond [`MAX_RECORDS`].
    pub fn insert(&mut self, key: String, record: T) {
        self.by_age.push(Reverse((record.created(), key.clone())));
        self.map.insert(key, record);
        while self.map.len() > MAX_RECORDS {
            let Some(Reverse((created, key))) = self.by_age.pop() else { break };
            if self.map.get(&key).is_some_and(|record| record.created() == created) {
                self.map.remove(&key);
            }
        }
    }

    /// The record under `key`, expired or not.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.map.get(key)
    }

    /// Takes the record under `key` out.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        self.map.remove(key)
    }

    /// Forgets the records at least `lifetime` old at `now`, i.e. those `retain` with
    /// `now - created < lifetime` would drop, in O(expired × log n). Returns how many index
    /// entries were visited (expired records and leftovers of removed ones).
    fn prune(&mut self, now: Instant, lifetime: Duration) -> usize {
        let expired = |created: Instant| now.saturating_duration_since(created) >= lifetime;
        let mut visited = 0;
        while let Some(Reverse((created, _))) = self.by_age.peek()
            && expired(*created)
        {
            let Some(Reverse((_, key))) = self.by_age.pop() else { break };
            visited += 1;
            // The key may be gone already, or (in theory) hold a newer record with its own entry.
            if self.map.get(&key).is_some_and(|record| expired(record.created())) {
                self.map.remove(&key);
            }
        }
        visited
    }
}

/// A validated authorization request waiting for the agent to sign in.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: String,
    pub nonce: String,
    pub want_amr: bool,
    /// The levels of an essential `acr` claim request (ProConnect); `None`: any level.
    pub essential_acr: Option<Vec<String>>,
    /// The supported levels requested, essential or not (`acr_values`, `claims`): the test FI
    /// preselects the first.
    pub requested_acr: Vec<String>,
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    /// A 14-digit SIRET to preselect (ProConnect's `siret_hint`).
    pub siret_hint: Option<String>,
    pub created: Instant,
}

/// The provider's own session with the browser (12 hours): who signed in, where, at which level.
#[derive(Debug, Clone)]
pub struct ProviderSession {
    pub idp_id: String,
    /// The agent's login at the FI (the test FI: the email the tester picked).
    pub login: String,
    /// The level the FI reported, as configured or picked (not yet mapped for the FS).
    pub acr: String,
    /// The SIRET the tester picked at the test FI.
    pub siret: Option<String>,
    pub auth_time: i64,
    pub sid: String,
    pub created: Instant,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub interaction: Interaction,
    pub session: ProviderSession,
    pub created: Instant,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub client_id: String,
    pub scopes: Scopes,
    pub session: ProviderSession,
    pub created: Instant,
}

/// An issued refresh token (ProConnect). Its lifetime runs from the sign-in (`created` is the
/// code exchange's instant, carried over on rotation), not from its own issue.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub client_id: String,
    pub scopes: Scopes,
    pub session: ProviderSession,
    pub want_amr: bool,
    /// The returned level (mapped), kept for the refreshed ID tokens.
    pub acr: String,
    /// The access token issued with it (revoked with it).
    pub access_token: String,
    pub created: Instant,
}

/// A code already exchanged, remembered until it would have expired: presenting it again
/// revokes the access token it gave (RFC 6749 §4.1.2).
#[derive(Debug, Clone)]
pub struct ConsumedCode {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub created: Instant,
}

const EXPIRED_TOKEN_MEMORY: Duration = Duration::from_secs(3600);

/// How long each kind of record lives.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub interaction: Duration,
    pub code: Duration,
    pub access_token: Duration,
    pub refresh_token: Duration,
    pub session: Duration,
}

/// Everything the provider remembers.
#[derive(Default)]
pub struct Store {
    pub interactions: Records<Interaction>,
    pub codes: Records<CodeGrant>,
    pub consumed_codes: Records<ConsumedCode>,
    pub access_tokens: Records<AccessGrant>,
    pub refresh_tokens: Records<RefreshGrant>,
    pub sessions: Records<ProviderSession>,
}

macro_rules! created {
    ($($record:ty),*) => {$(
        impl Created for $record {
            fn created(&self) -> Instant {
                self.created
            }
        }
    )*};
}
created!(Interaction, ProviderSession, CodeGrant, AccessGrant, RefreshGrant, ConsumedCode);

impl Store {
    /// Forgets every record that has outlived its lifetime at `now`. Access tokens are kept an
    /// hour past their expiry, so that userinfo answers `Y030025` rather than "unknown token".
    /// Costs what expired, not what is stored.
    pub fn prune(&mut self, now: Instant, lifetimes: Lifetimes) {
        self.interactions.prune(now, lifetimes.interaction);
        self.codes.prune(now, lifetimes.code);
        self.consumed_codes.prune(now, lifetimes.code);
        self.access_tokens.prune(now, lifetimes.access_token + EXPIRED_TOKEN_MEMORY);
        self.refresh_tokens.prune(now, lifetimes.refresh_token);
        self.sessions.prune(now, lifetimes.session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    const LIFETIMES: Lifetimes = Lifetimes {
        interaction: Duration::from_secs(600),
        code: Duration::from_secs(60),
        access_token: Duration::from_secs(60),
        refresh_token: Duration::from_secs(7200),
        session: Duration::from_secs(12 * 3600),
    };

    fn session(created: Instant) -> ProviderSession {
        ProviderSession {
            idp_id: "idp".into(),
            login: "agent".into(),
            acr: "eidas1".into(),
            siret: None,
            auth_time: 0,
            sid: "sid".into(),
            created,
        }
    }

    fn interaction(created: Instant) -> Interaction {
        Interaction {
            client_id: "client".into(),
            redirect_uri: "http://localhost/cb".into(),
            scopes: Scopes::default(),
            state: "state".into(),
            nonce: "nonce".into(),
            want_amr: false,
            essential_acr: None,
            requested_acr: Vec::new(),
            code_challenge: None,
            login_hint: None,
            siret_hint: None,
            created,
        }
    }

    fn consumed(created: Instant) -> ConsumedCode {
        ConsumedCode { access_token: "token".into(), refresh_token: None, created }
    }

    /// Which of the five records are still there.
    fn present(store: &Store) -> [bool; 5] {
        [
            store.interactions.get("i").is_some(),
            store.codes.get("c").is_some(),
            store.consumed_codes.get("cc").is_some(),
            store.access_tokens.get("a").is_some(),
            store.sessions.get("s").is_some(),
        ]
    }

    #[test]
    fn records_are_pruned_at_the_end_of_their_lifetime_as_the_clock_advances() {
        let clock = Clock::default();
        let mut store = Store::default();
        let created = clock.now();
        store.interactions.insert("i".into(), interaction(created));
        store
            .codes
            .insert("c".into(), CodeGrant { interaction: interaction(created), session: session(created), created });
        store.consumed_codes.insert("cc".into(), consumed(created));
        store.access_tokens.insert(
            "a".into(),
            AccessGrant { client_id: "client".into(), scopes: Scopes::default(), session: session(created), created },
        );
        store.sessions.insert("s".into(), session(created));
        // (advance to, [interaction, code, consumed code, access token, session] still there)
        let steps = [
            (59, [true; 5]),
            (60, [true, false, false, true, true]),
            (599, [true, false, false, true, true]),
            (600, [false, false, false, true, true]),
            // Access tokens are remembered an hour past their expiry.
            (3659, [false, false, false, true, true]),
            (3660, [false, false, false, false, true]),
            (12 * 3600 - 1, [false, false, false, false, true]),
            (12 * 3600, [false; 5]),
        ];
        let mut elapsed = 0;
        for (at, expected) in steps {
            clock.advance(Duration::from_secs(at - elapsed));
            elapsed = at;
            store.prune(clock.now(), LIFETIMES);
            assert_eq!(present(&store), expected, "after {at} s");
        }
        assert!(store.sessions.by_age.is_empty() && store.access_tokens.by_age.is_empty());
    }

    #[test]
    fn past_the_cap_the_oldest_records_are_forgotten_first() {
        let clock = Clock::default();
        let mut store = Store::default();
        for n in 0..MAX_RECORDS + 10 {
            store.interactions.insert(format!("i{n}"), interaction(clock.now()));
            clock.advance(Duration::from_millis(1));
        }
        assert_eq!(store.interactions.map.len(), MAX_RECORDS);
        assert!(store.interactions.get("i9").is_none(), "the oldest are gone");
        assert!(
            store.interactions.get("i10").is_some()
                && store.interactions.get(&format!("i{}", MAX_RECORDS + 9)).is_some()
        );
    }

    #[test]
    fn a_record_inserted_after_a_younger_one_still_expires_on_time() {
        // A consumed code is remembered from the code's creation, so an older code exchanged
        // after a younger one comes later in insertion order.
        let start = Instant::now();
        let mut codes = Records::default();
        codes.insert("young".into(), consumed(start + Duration::from_secs(30)));
        codes.insert("old".into(), consumed(start));
        codes.prune(start + Duration::from_secs(60), LIFETIMES.code);
        assert!(codes.get("old").is_none());
        assert!(codes.get("young").is_some());
    }

    #[test]
    fn pruning_visits_the_expired_not_everything_stored() {
        let start = Instant::now();
        let mut codes = Records::default();
        codes.insert("expired".into(), consumed(start));
        codes.insert("removed early".into(), consumed(start));
        for n in 0..1000 {
            codes.insert(format!("alive {n}"), consumed(start + Duration::from_secs(30)));
        }
        assert!(codes.remove("removed early").is_some());
        // The expired record and the leftover entry of the removed one; none of the 1,000 alive.
        assert_eq!(codes.prune(start + Duration::from_secs(60), LIFETIMES.code), 2);
        assert_eq!((codes.map.len(), codes.by_age.len()), (1000, 1000));
        assert_eq!(codes.prune(start + Duration::from_secs(60), LIFETIMES.code), 0);
        // Re-inserted under the same key, a record lives from its own creation.
        codes.insert("alive 0".into(), consumed(start + Duration::from_secs(60)));
        assert_eq!(codes.prune(start + Duration::from_secs(90), LIFETIMES.code), 1000);
        assert!(codes.get("alive 0").is_some());
        assert_eq!((codes.map.len(), codes.by_age.len()), (1, 1));
    }
}
