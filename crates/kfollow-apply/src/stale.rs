//! The stale-plan check of `apply FILE`: before a saved plan runs, the live
//! resources it was made from are read again and their fingerprints compared with the saved
//! ones. Any difference refuses the plan, before a single write.
//!
//! What a fingerprint is (a digest, a canonical JSON text) is decided by whoever writes the
//! saved plan; this check only needs the same function on both sides, keyed by something that
//! names the resource to a person (its plan address, such as `attachment.emea/sales`).

use std::collections::BTreeMap;
use std::fmt;

/// Resource name → fingerprint of what was read.
pub type Fingerprints = BTreeMap<String, String>;

/// How the live resources differ from the ones a saved plan was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePlan {
    /// Resources read at plan time that read differently now.
    pub changed: Vec<String>,
    /// Resources that exist now and did not at plan time.
    pub appeared: Vec<String>,
    /// Resources read at plan time that are gone.
    pub gone: Vec<String>,
}

impl std::error::Error for StalePlan {}

impl fmt::Display for StalePlan {
    /// A headline, then one resource per line: `  changed   attachment.emea/sales`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.changed.len() + self.appeared.len() + self.gone.len();
        write!(
            f,
            "Saved plan is stale: {count} live {} from when the plan was made",
            if count == 1 {
                "resource differs"
            } else {
                "resources differ"
            }
        )?;
        for (names, what) in [
            (&self.changed, "changed "),
            (&self.appeared, "appeared"),
            (&self.gone, "gone    "),
        ] {
            for name in names {
                write!(f, "\n  {what}  {name}")?;
            }
        }
        Ok(())
    }
}

/// `Ok` when every resource reads as it did when the plan was saved.
pub fn check_fresh(saved: &Fingerprints, live: &Fingerprints) -> Result<(), StalePlan> {
    let mut stale = StalePlan {
        changed: Vec::new(),
        appeared: Vec::new(),
        gone: Vec::new(),
    };
    for (name, before) in saved {
        match live.get(name) {
            Some(now) if now == before => {}
            Some(_) => stale.changed.push(name.clone()),
            None => stale.gone.push(name.clone()),
        }
    }
    for name in live.keys() {
        if !saved.contains_key(name) {
            stale.appeared.push(name.clone());
        }
    }
    if stale.changed.is_empty() && stale.appeared.is_empty() && stale.gone.is_empty() {
        Ok(())
    } else {
        Err(stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prints(pairs: &[(&str, &str)]) -> Fingerprints {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_same_reading_is_fresh() {
        let saved = prints(&[("west/a", "1"), ("west/b", "2")]);
        assert_eq!(check_fresh(&saved, &saved.clone()), Ok(()));
    }

    #[test]
    fn every_difference_is_named() {
        let saved = prints(&[("west/a", "1"), ("west/b", "2"), ("west/c", "3")]);
        let live = prints(&[("west/a", "1"), ("west/b", "changed"), ("west/d", "4")]);
        let Err(stale) = check_fresh(&saved, &live) else {
            panic!("a changed reading passed as fresh");
        };
        assert_eq!(stale.changed, ["west/b"]);
        assert_eq!(stale.appeared, ["west/d"]);
        assert_eq!(stale.gone, ["west/c"]);
        assert_eq!(
            stale.to_string(),
            "Saved plan is stale: 3 live resources differ from when the plan was made\n  \
             changed   west/b\n  \
             appeared  west/d\n  \
             gone      west/c"
        );
    }
}
