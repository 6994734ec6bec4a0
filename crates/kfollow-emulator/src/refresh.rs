//! The schema refresh that follower commands wait for: "These commands run synchronously but
//! are applied on the next periodic schema refresh, which may result in a short delay until the
//! new configuration is applied" (<https://learn.microsoft.com/kusto/management/cluster-follower>).
//!
//! A command changes the follower database's settings at once (they are in the world, and the
//! command's own answer shows them), but `.show follower database` reports each change only
//! `settings.schemaRefreshMs` after it was made; until then it reports the settings as they
//! stood before. With `schemaRefreshMs: 0` (the default) nothing lags.
//!
//! This is emulator state, not world: a saved world holds the new settings, and a change not
//! shown yet shows at once after a restart.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::kusto::FollowerSettings;

/// The follower databases whose latest settings do not show yet, and what shows instead.
#[derive(Debug, Clone, Default)]
pub struct SchemaRefresh {
    /// By lower-case cluster name and lower-case follower database name.
    pending: HashMap<(String, String), Unrefreshed>,
}

/// The changes of one follower database that `.show follower database` does not report yet.
#[derive(Debug, Clone, PartialEq)]
struct Unrefreshed {
    /// The settings before the first of `changes`.
    before: FollowerSettings,
    /// Each change, oldest first: the instant it shows from and the settings it left.
    changes: Vec<(Instant, FollowerSettings)>,
}

impl Unrefreshed {
    /// What shows at `now`; `None` once every change shows (the current settings do).
    fn shown(&self, now: Instant) -> Option<&FollowerSettings> {
        match self.changes.iter().rposition(|(from, _)| *from <= now) {
            Some(last) if last + 1 == self.changes.len() => None,
            Some(last) => Some(&self.changes[last].1),
            None => Some(&self.before),
        }
    }
}

fn key(cluster: &str, database: &str) -> (String, String) {
    (cluster.to_ascii_lowercase(), database.to_ascii_lowercase())
}

impl SchemaRefresh {
    /// Notes that a command changed the settings of `database` on `cluster` at `now` from
    /// `before` to `after`; `.show` reports the change `delay` later.
    pub fn changed(
        &mut self,
        cluster: &str,
        database: &str,
        before: FollowerSettings,
        after: FollowerSettings,
        now: Instant,
        delay: Duration,
    ) {
        if delay.is_zero() {
            return;
        }
        let key = key(cluster, database);
        if self
            .pending
            .get(&key)
            .is_some_and(|pending| pending.shown(now).is_none())
        {
            self.pending.remove(&key);
        }
        self.pending
            .entry(key)
            .or_insert_with(|| Unrefreshed {
                before,
                changes: Vec::new(),
            })
            .changes
            .push((now + delay, after));
    }

    /// The settings `.show follower database` reports for `database` at `now` when they are
    /// not its current settings (a change does not show yet).
    pub fn shown(&self, cluster: &str, database: &str, now: Instant) -> Option<&FollowerSettings> {
        self.pending
            .get(&key(cluster, database))
            .and_then(|pending| pending.shown(now))
    }

    /// Forgets the follower databases whose every change shows by `now`.
    pub fn settle(&mut self, now: Instant) {
        self.pending
            .retain(|_, pending| pending.shown(now).is_some());
    }

    /// Forgets the changes of every follower database of `cluster` for which `exists` is false
    /// (its attachment is gone), so a database attached again under the same name does not
    /// show what its predecessor had.
    pub fn retain_databases(&mut self, cluster: &str, exists: impl Fn(&str) -> bool) {
        let cluster = cluster.to_ascii_lowercase();
        self.pending
            .retain(|(c, database), _| *c != cluster || exists(database));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hot(days: i64) -> FollowerSettings {
        FollowerSettings {
            hot_cache_period: Some(kfollow_model::Timespan::from_days(days)),
            ..FollowerSettings::default()
        }
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_change_shows_after_the_delay() {
        let start = Instant::now();
        let mut refresh = SchemaRefresh::default();
        refresh.changed("F1", "Sales", hot(1), hot(7), start, 2 * SECOND);
        assert_eq!(refresh.shown("f1", "SALES", start), Some(&hot(1)));
        assert_eq!(refresh.shown("f1", "Sales", start + SECOND), Some(&hot(1)));
        assert_eq!(refresh.shown("f1", "Web", start + SECOND), None);
        assert_eq!(refresh.shown("f2", "Sales", start + SECOND), None);
        assert_eq!(refresh.shown("f1", "Sales", start + 2 * SECOND), None);
    }

    #[test]
    fn each_change_shows_its_own_delay_after_it_was_made() {
        let start = Instant::now();
        let mut refresh = SchemaRefresh::default();
        refresh.changed("f1", "Sales", hot(1), hot(7), start, 2 * SECOND);
        refresh.changed("f1", "Sales", hot(7), hot(30), start + SECOND, 2 * SECOND);
        assert_eq!(refresh.shown("f1", "Sales", start + SECOND), Some(&hot(1)));
        assert_eq!(
            refresh.shown("f1", "Sales", start + 2 * SECOND),
            Some(&hot(7))
        );
        assert_eq!(refresh.shown("f1", "Sales", start + 3 * SECOND), None);
        // Once everything shows, a new change lags from the settings that show.
        refresh.changed(
            "f1",
            "Sales",
            hot(30),
            hot(90),
            start + 5 * SECOND,
            2 * SECOND,
        );
        assert_eq!(
            refresh.shown("f1", "Sales", start + 6 * SECOND),
            Some(&hot(30))
        );
        refresh.settle(start + 6 * SECOND);
        assert_eq!(
            refresh.shown("f1", "Sales", start + 6 * SECOND),
            Some(&hot(30))
        );
        refresh.settle(start + 7 * SECOND);
        assert!(refresh.pending.is_empty());
    }

    #[test]
    fn no_delay_shows_every_change_at_once() {
        let start = Instant::now();
        let mut refresh = SchemaRefresh::default();
        refresh.changed("f1", "Sales", hot(1), hot(7), start, Duration::ZERO);
        assert_eq!(refresh.shown("f1", "Sales", start), None);
        assert!(refresh.pending.is_empty());
    }

    #[test]
    fn a_detached_database_forgets_its_changes() {
        let start = Instant::now();
        let mut refresh = SchemaRefresh::default();
        for (cluster, database) in [("f1", "Sales"), ("f1", "Web"), ("f2", "Sales")] {
            refresh.changed(cluster, database, hot(1), hot(7), start, 10 * SECOND);
        }
        refresh.retain_databases("F1", |database| database == "web");
        assert_eq!(refresh.shown("f1", "Sales", start), None);
        assert!(refresh.shown("f1", "Web", start).is_some());
        assert!(refresh.shown("f2", "Sales", start).is_some());
    }
}
