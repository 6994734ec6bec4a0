//! "Did you mean" suggestions for misspelt keys and values.

/// The known word closest to `typed`, when it is close enough to be a likely misspelling:
/// a different casing, or a small edit distance for the word's length.
pub(crate) fn did_you_mean<'a>(
    typed: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let typed_lower = typed.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in known {
        let lower = candidate.to_lowercase();
        if lower == typed_lower {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&typed_lower, &lower);
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = [
            "databaseName",
            "databaseNameOverride",
            "databaseNamePrefix",
            "leader",
        ];
        assert_eq!(did_you_mean("databaseNme", keys), Some("databaseName"));
        assert_eq!(did_you_mean("databasename", keys), Some("databaseName"));
        assert_eq!(
            did_you_mean("databaseNameOveride", keys),
            Some("databaseNameOverride")
        );
        assert_eq!(did_you_mean("leadr", keys), Some("leader"));
        assert_eq!(did_you_mean("color", keys), None);
    }
}
