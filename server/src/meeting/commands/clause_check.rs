//! Whether accepting an amendment may overwrite its clause: an acceptance
//! never replaces words that changed after the amendment was opened unless
//! the moderator has seen them (and says so with the SHA-256 of the text
//! they saw). Plain logic, apart from the command that applies it.

use draftroom_shared::ClauseChanged;

use crate::meeting::MeetingError;
use crate::secrets;

/// The texts an acceptance is decided on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acceptance<'a> {
    /// The clause's text when the amendment was opened; None for an
    /// amendment stored before bases were kept.
    pub base: Option<&'a str>,
    /// The clause's text now.
    pub current: &'a str,
    /// The amendment's wording.
    pub proposed: &'a str,
}

/// A `clause_sha256` as given: 64 hex digits, in either case; answered in
/// lower case, as the server writes hashes.
pub(crate) fn parse_sha256(given: &str) -> Result<String, MeetingError> {
    let given = given.trim();
    if given.len() == 64 && given.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(given.to_ascii_lowercase())
    } else {
        Err(MeetingError::invalid(
            "clause_sha256 must be the SHA-256 of the clause's text: 64 hex digits",
        ))
    }
}

impl Acceptance<'_> {
    /// Whether the clause reads now as it did when the amendment was
    /// opened. An amendment stored before bases were kept has none: its
    /// clause counts as unchanged only when it already reads as proposed
    /// (accepting then replaces no word), so any other acceptance of it
    /// needs the moderator's confirmation.
    pub(crate) fn unchanged(&self) -> bool {
        match self.base {
            Some(base) => base == self.current,
            None => self.current == self.proposed,
        }
    }

    /// Ok if accepting may overwrite the clause's current text: a
    /// `clause_sha256` given (already parsed) must be the current text's,
    /// whatever else holds, since it says which text the moderator saw;
    /// without one, only a clause unchanged since the amendment was opened
    /// may be overwritten. Otherwise 409 `clause_changed` with the texts.
    pub(crate) fn check(&self, clause_sha256: Option<&str>) -> Result<(), MeetingError> {
        let current_sha256 = secrets::sha256_hex(self.current);
        let message = match clause_sha256 {
            Some(seen) if seen == current_sha256 => return Ok(()),
            None if self.unchanged() => return Ok(()),
            Some(_) => {
                "the clause has changed since you looked at it; look at its current text and confirm again"
            }
            None => {
                "the clause has changed since the amendment was opened; look at its current text and confirm with its clause_sha256"
            }
        };
        Err(MeetingError::ClauseChanged {
            message: message.to_owned(),
            texts: Box::new(ClauseChanged {
                opened: self.base.map(str::to_owned),
                current: self.current.to_owned(),
                proposed: self.proposed.to_owned(),
                current_sha256,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use draftroom_shared::ErrorCode;

    const OPENED: &str = "Kraków jest miastem otwartym";
    const CHANGED: &str = "Kraków jest miastem otwartym i gościnnym 🏰";
    const PROPOSED: &str = "Kraków jest miastem otwartym i współodpowiedzialnym";

    fn acceptance<'a>(base: Option<&'a str>, current: &'a str) -> Acceptance<'a> {
        Acceptance {
            base,
            current,
            proposed: PROPOSED,
        }
    }

    #[test]
    fn an_unchanged_clause_is_accepted_with_or_without_its_hash() {
        let a = acceptance(Some(OPENED), OPENED);
        a.check(None).unwrap();
        a.check(Some(&secrets::sha256_hex(OPENED))).unwrap();
        // A hash of another text says the moderator saw something else.
        let err = a.check(Some(&secrets::sha256_hex(CHANGED))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ClauseChanged);
    }

    #[test]
    fn a_changed_clause_needs_the_hash_of_its_current_text() {
        let a = acceptance(Some(OPENED), CHANGED);
        let err = a.check(None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ClauseChanged);
        assert_eq!(err.code().status(), 409);
        let texts = err.clause_changed().expect("the texts");
        assert_eq!(texts.opened.as_deref(), Some(OPENED));
        assert_eq!(texts.current, CHANGED);
        assert_eq!(texts.proposed, PROPOSED);
        assert_eq!(texts.current_sha256, secrets::sha256_hex(CHANGED));
        // Stale: the hash of the text as it was opened.
        let stale = a.check(Some(&secrets::sha256_hex(OPENED))).unwrap_err();
        assert_eq!(stale.code(), ErrorCode::ClauseChanged);
        a.check(Some(&texts.current_sha256)).unwrap();
    }

    #[test]
    fn an_amendment_without_a_base_needs_confirming_unless_nothing_would_change() {
        acceptance(None, PROPOSED).check(None).unwrap();
        let err = acceptance(None, OPENED).check(None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ClauseChanged);
        assert_eq!(
            err.to_string(),
            "the clause has changed since the amendment was opened; look at its current text and confirm with its clause_sha256"
        );
        let texts = err.clause_changed().expect("the texts");
        assert_eq!(
            *texts,
            ClauseChanged {
                opened: None,
                current: OPENED.to_owned(),
                proposed: PROPOSED.to_owned(),
                current_sha256: secrets::sha256_hex(OPENED),
            }
        );
        acceptance(None, OPENED)
            .check(Some(&secrets::sha256_hex(OPENED)))
            .unwrap();
    }

    #[test]
    fn a_given_hash_is_64_hex_digits_in_either_case() {
        let sha = secrets::sha256_hex(CHANGED);
        assert_eq!(parse_sha256(&sha.to_ascii_uppercase()).unwrap(), sha);
        for bad in ["", "abc", &sha[..63], &format!("{}z", &sha[..63])] {
            let err = parse_sha256(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadRequest, "{bad:?}");
        }
    }
}
