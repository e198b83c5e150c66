//! The short participant code of a meeting: nine characters of Crockford's
//! base32 (no I, L, O or U, so nothing reads as something else), shown in
//! three groups, `K7Q-FM2-XD9`, for a room to read off the projector and
//! type. It joins as a participant like the participant invite, and is a
//! secret like it: drawn from a CSPRNG, stored only as the SHA-256 of its
//! canonical form, never logged, and a wrong one counts as a failed
//! sign-in, so guessing its 45 bits is rate limited per address.

use rand::Rng;

use crate::secrets::{self, SecretHash};

/// The 32 characters a code is written with.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code.
const LEN: usize = 9;

/// Characters in a group when it is shown.
const GROUP: usize = 3;

/// A fresh code, grouped for reading: `K7Q-FM2-XD9`.
pub(crate) fn new_code() -> String {
    code_from(&mut rand::rng())
}

/// A code drawn from `rng`.
fn code_from(rng: &mut impl Rng) -> String {
    let mut code = String::with_capacity(LEN + LEN / GROUP);
    for i in 0..LEN {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    code
}

/// A code as someone typed it, in its canonical nine characters, or None
/// if it cannot be a code. Case does not matter, dashes and spaces are
/// ignored, and what Crockford's base32 reads as a digit is one: O is 0,
/// I and L are 1.
pub(crate) fn normalise(typed: &str) -> Option<String> {
    let mut code = String::with_capacity(LEN);
    for c in typed.chars() {
        if c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}') {
            continue;
        }
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || code.len() == LEN {
            return None;
        }
        code.push(c);
    }
    (code.len() == LEN).then_some(code)
}

/// The stored form of a code: the SHA-256 of its canonical form, if it can
/// be one.
pub(crate) fn hash(typed: &str) -> Option<SecretHash> {
    normalise(typed).map(|code| secrets::hash(&code))
}

/// Whether `typed` is the code whose hash is `stored`, in constant time.
pub(crate) fn matches(typed: &str, stored: &SecretHash) -> bool {
    normalise(typed).is_some_and(|code| secrets::matches(&code, stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::seeded_rng;
    use std::collections::HashSet;

    #[test]
    fn codes_are_nine_crockford_characters_in_three_groups() {
        let mut rng = seeded_rng();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let code = code_from(&mut rng);
            assert_eq!(code.len(), 11, "{code}");
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 3, "{code}");
            assert!(groups.iter().all(|g| g.len() == 3), "{code}");
            assert!(
                code.chars()
                    .all(|c| c == '-' || ALPHABET.contains(&(c as u8))),
                "{code}"
            );
            assert!(!code.contains(['I', 'L', 'O', 'U']), "{code}");
            assert_eq!(normalise(&code).map(|c| c.len()), Some(9));
            assert!(seen.insert(code), "a code came twice in a thousand");
        }
    }

    #[test]
    fn a_code_is_read_however_it_is_typed() {
        let canonical = Some("K7QFM2XD9".to_owned());
        for typed in [
            "K7Q-FM2-XD9",
            "k7q-fm2-xd9",
            "K7QFM2XD9",
            " k7q fm2 xd9 ",
            "K7Q–FM2—XD9",
            "k-7-q-f-m-2-x-d-9",
        ] {
            assert_eq!(normalise(typed), canonical, "{typed:?}");
        }
        assert_eq!(normalise("1O0-IL1-ol0").as_deref(), Some("100111010"));
        for bad in [
            "",
            "K7Q-FM2-XD",
            "K7Q-FM2-XD99",
            "K7Q-FM2-XDU",
            "K7Q_FM2_XD9",
            "K7Q-FM2-XĄ9",
            "K7Q-FM2-XD9-K7Q-FM2-XD9",
        ] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_code_matches_its_hash_only() {
        let mut rng = seeded_rng();
        let code = code_from(&mut rng);
        let other = code_from(&mut rng);
        eprintln!("codes {code} and {other}");
        let stored = hash(&code).unwrap();
        assert!(matches(&code.to_lowercase().replace('-', " "), &stored));
        assert_eq!(matches(&other, &stored), other == code);
        assert!(!matches("not a code", &stored));
        assert_eq!(hash("not a code"), None);
    }
}
