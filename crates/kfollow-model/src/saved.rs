//! The saved-plan file of `kfollow plan --out FILE`, read back by `kfollow show` and
//! `kfollow apply FILE`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Desired, Plan};

/// The version of the saved-plan format this build writes and reads.
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 1;

/// A plan as saved for review: the ordered changes, what they were computed from, and a
/// fingerprint of every live resource read, so apply can refuse a plan the world has moved
/// away from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`SAVED_PLAN_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The kfollow version that made the plan.
    pub kfollow_version: String,
    /// The manifest file as the user named it.
    pub manifest: String,
    /// [`digest`] of the manifest's bytes.
    pub manifest_digest: String,
    /// Where the live state was read (the ARM endpoint, or `emulator:<world file>`); apply
    /// refuses to run the plan anywhere else.
    pub target: String,
    /// The validated manifest, so apply can re-read the same resources.
    pub desired: Desired,
    /// The plan.
    pub plan: Plan,
    /// Resource key (`attachment <cluster id>/<name>`) → [`digest`] of what was read.
    pub fingerprints: BTreeMap<String, String>,
}

/// A short, stable digest of bytes (FNV-1a, 64 bits, hex). It tells whether something
/// changed; it is not a cryptographic seal.
pub fn digest(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn digest_is_stable_and_discriminating() {
        assert_eq!(digest(b""), "cbf29ce484222325");
        assert_eq!(digest(b"a"), "af63dc4c8601ec8c");
        assert_ne!(digest(b"ab"), digest(b"ba"));
    }
}
