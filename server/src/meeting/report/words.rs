//! The words of a meeting's record (the report, a version's Markdown) in
//! each language a meeting may be held in: English, and Polish with its
//! plural forms (1 poprawka, 2 poprawki, 5 poprawek) and dates. Sentences
//! are whole functions, not glued fragments, since the languages order
//! their words differently; Polish ones avoid past-tense verbs with a
//! person as subject, which would need the person's grammatical gender.

use draftroom_shared::Language;

use crate::clock::{civil, format_time};

/// One amendment as the record reports it (the words of each language
/// say it; the report holds a list of them).
#[derive(Debug, Clone)]
pub struct AmendmentLine {
    /// The clause's number (1-based) in the reported text, if it is there.
    pub clause: Option<usize>,
    /// Who proposed it.
    pub author: String,
    /// Who supported it.
    pub supporters: Vec<String>,
    /// open, accepted, rejected.
    pub status: &'static str,
    /// Its wording.
    pub text: String,
    /// When it was decided.
    pub decided_at: Option<i64>,
}

/// Which of Polish's three counting forms a number takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolishPlural {
    /// 1: poprawka.
    One,
    /// 2–4, 22–24, … but not 12–14: poprawki.
    Few,
    /// 0, 5–21, 25–31, …: poprawek.
    Many,
}

/// The Polish counting form of `n`.
pub(crate) fn polish_plural(n: u64) -> PolishPlural {
    if n == 1 {
        PolishPlural::One
    } else if (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)) {
        PolishPlural::Few
    } else {
        PolishPlural::Many
    }
}

/// `n` and the Polish word of the form it takes.
fn polish_count(n: u64, one: &str, few: &str, many: &str) -> String {
    let word = match polish_plural(n) {
        PolishPlural::One => one,
        PolishPlural::Few => few,
        PolishPlural::Many => many,
    };
    format!("{n} {word}")
}

/// The record's words in one language.
pub(crate) trait Words: Sync {
    /// The language's tag, for HTML `lang`.
    fn lang(&self) -> &'static str;
    /// A time as people there read it.
    fn time(&self, ms: i64) -> String;
    /// The line under the title: when the meeting was opened.
    fn opened(&self, at: i64) -> String;
    /// Heading: the people in the room.
    fn present(&self) -> &'static str;
    /// A role's name.
    fn role(&self, role: &str) -> &'static str;
    /// Heading: the text of the latest version.
    fn agreed_text(&self) -> &'static str;
    /// Heading: the draft, when no version is frozen yet.
    fn current_draft(&self) -> &'static str;
    /// Which version the text is, and when it was frozen.
    fn version_frozen(&self, n: u32, at: i64) -> String;
    /// Heading: who wrote each clause.
    fn who_wrote(&self) -> &'static str;
    /// Before the authors of one clause, in the HTML.
    fn written_by(&self) -> &'static str;
    /// How many characters someone wrote.
    fn characters(&self, n: u32) -> String;
    /// Heading: amendments.
    fn amendments(&self) -> &'static str;
    /// When there were none.
    fn none_proposed(&self) -> &'static str;
    /// How many there were and what became of them, if the language says
    /// so above the list.
    fn tally(&self, amendments: &[AmendmentLine]) -> Option<String>;
    /// An amendment's outcome, as a word.
    fn status(&self, status: &str) -> &'static str;
    /// One amendment as a line of the Markdown list.
    fn amendment_line(&self, a: &AmendmentLine) -> String;
    /// The columns of the HTML table of amendments.
    fn amendment_columns(&self) -> [&'static str; 5];
    /// Heading: versions.
    fn versions(&self) -> &'static str;
    /// When none was frozen.
    fn no_versions(&self) -> &'static str;
    /// One version as a line of the Markdown list.
    fn version_line(&self, n: u32, at: i64, by: &str, sha256: &str) -> String;
    /// The columns of the HTML table of versions.
    fn version_columns(&self) -> [&'static str; 4];
    /// A version's Markdown: the line under its title.
    fn version_intro(&self, n: u32, at: i64, by: &str) -> String;
    /// A version's Markdown: the line with its text's hash.
    fn version_sha256(&self, sha256: &str) -> String;
}

/// The words of `language`.
pub(crate) fn words(language: Language) -> &'static dyn Words {
    match language {
        Language::En => &English,
        Language::Pl => &Polish,
    }
}

/// English, as the record has always read.
pub(crate) struct English;

impl Words for English {
    fn lang(&self) -> &'static str {
        "en"
    }
    fn time(&self, ms: i64) -> String {
        format_time(ms)
    }
    fn opened(&self, at: i64) -> String {
        format!(
            "Record of the drafting meeting opened on {}.",
            self.time(at)
        )
    }
    fn present(&self) -> &'static str {
        "Present"
    }
    fn role(&self, role: &str) -> &'static str {
        match role {
            "moderator" => "moderator",
            "editor" => "editor",
            "participant" => "participant",
            _ => "observer",
        }
    }
    fn agreed_text(&self) -> &'static str {
        "Agreed text"
    }
    fn current_draft(&self) -> &'static str {
        "Current draft (not yet frozen)"
    }
    fn version_frozen(&self, n: u32, at: i64) -> String {
        format!("Version {n}, frozen {}.", self.time(at))
    }
    fn who_wrote(&self) -> &'static str {
        "Who wrote each clause"
    }
    fn written_by(&self) -> &'static str {
        "Written by"
    }
    fn characters(&self, n: u32) -> String {
        if n == 1 {
            "1 character".to_owned()
        } else {
            format!("{n} characters")
        }
    }
    fn amendments(&self) -> &'static str {
        "Amendments"
    }
    fn none_proposed(&self) -> &'static str {
        "None were proposed."
    }
    fn tally(&self, _: &[AmendmentLine]) -> Option<String> {
        None
    }
    fn status(&self, status: &str) -> &'static str {
        match status {
            "accepted" => "accepted",
            "rejected" => "rejected",
            _ => "open",
        }
    }
    fn amendment_line(&self, a: &AmendmentLine) -> String {
        let clause = a.clause.map_or_else(
            || "a clause since removed".to_owned(),
            |n| format!("clause {n}"),
        );
        let supporters = if a.supporters.is_empty() {
            "no supporters".to_owned()
        } else {
            format!("supported by {}", a.supporters.join(", "))
        };
        let when = a
            .decided_at
            .map(|t| format!(" on {}", self.time(t)))
            .unwrap_or_default();
        format!(
            "- {} proposed for {clause}: “{}” — {supporters}; {}{when}.",
            a.author,
            a.text,
            self.status(a.status)
        )
    }
    fn amendment_columns(&self) -> [&'static str; 5] {
        [
            "Clause",
            "Proposed by",
            "Wording",
            "Supported by",
            "Outcome",
        ]
    }
    fn versions(&self) -> &'static str {
        "Versions"
    }
    fn no_versions(&self) -> &'static str {
        "No version has been frozen yet."
    }
    fn version_line(&self, n: u32, at: i64, by: &str, sha256: &str) -> String {
        format!(
            "- Version {n}: frozen {} by {by}; SHA-256 `{sha256}`",
            self.time(at)
        )
    }
    fn version_columns(&self) -> [&'static str; 4] {
        ["Version", "Frozen", "By", "SHA-256"]
    }
    fn version_intro(&self, n: u32, at: i64, by: &str) -> String {
        format!("Version {n}, frozen {} by {by}.", self.time(at))
    }
    fn version_sha256(&self, sha256: &str) -> String {
        format!("SHA-256 of the text: `{sha256}`")
    }
}

/// Polish, in the words of the web app: a clause is a *punkt*, freezing is
/// *zatwierdzenie* of the agreed version (*uzgodniona wersja*).
pub(crate) struct Polish;

/// Months in the genitive, as a Polish date names them.
const MONTHS_GENITIVE: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];

impl Words for Polish {
    fn lang(&self) -> &'static str {
        "pl"
    }
    /// `1 października 2013 r., godz. 10:30 UTC`
    fn time(&self, ms: i64) -> String {
        let (y, m, d, hh, mm) = civil(ms);
        let month = MONTHS_GENITIVE[(m - 1).clamp(0, 11) as usize];
        format!("{d} {month} {y} r., godz. {hh}:{mm:02} UTC")
    }
    fn opened(&self, at: i64) -> String {
        format!(
            "Protokół spotkania redakcyjnego rozpoczętego {}.",
            self.time(at)
        )
    }
    fn present(&self) -> &'static str {
        "Obecni"
    }
    fn role(&self, role: &str) -> &'static str {
        match role {
            "moderator" => "moderator",
            "editor" => "redaktor",
            "participant" => "uczestnik",
            _ => "obserwator",
        }
    }
    fn agreed_text(&self) -> &'static str {
        "Uzgodniony tekst"
    }
    fn current_draft(&self) -> &'static str {
        "Bieżący projekt (jeszcze niezatwierdzony)"
    }
    fn version_frozen(&self, n: u32, at: i64) -> String {
        format!("Wersja {n}, zatwierdzona {}.", self.time(at))
    }
    fn who_wrote(&self) -> &'static str {
        "Autorstwo punktów"
    }
    fn written_by(&self) -> &'static str {
        "Autorstwo:"
    }
    fn characters(&self, n: u32) -> String {
        polish_count(n.into(), "znak", "znaki", "znaków")
    }
    fn amendments(&self) -> &'static str {
        "Poprawki"
    }
    fn none_proposed(&self) -> &'static str {
        "Nie zgłoszono żadnych poprawek."
    }
    /// `Razem 5 poprawek: 3 przyjęte, 1 odrzucona, 1 nierozstrzygnięta.`
    fn tally(&self, amendments: &[AmendmentLine]) -> Option<String> {
        if amendments.is_empty() {
            return None;
        }
        let count = |status: &str| amendments.iter().filter(|a| a.status == status).count() as u64;
        let outcomes: Vec<String> = [
            ("accepted", ["przyjęta", "przyjęte", "przyjętych"]),
            ("rejected", ["odrzucona", "odrzucone", "odrzuconych"]),
            (
                "open",
                [
                    "nierozstrzygnięta",
                    "nierozstrzygnięte",
                    "nierozstrzygniętych",
                ],
            ),
        ]
        .into_iter()
        .filter(|(status, _)| count(status) > 0)
        .map(|(status, [one, few, many])| polish_count(count(status), one, few, many))
        .collect();
        Some(format!(
            "Razem {}: {}.",
            polish_count(amendments.len() as u64, "poprawka", "poprawki", "poprawek"),
            outcomes.join(", ")
        ))
    }
    fn status(&self, status: &str) -> &'static str {
        match status {
            "accepted" => "przyjęta",
            "rejected" => "odrzucona",
            _ => "nierozstrzygnięta",
        }
    }
    /// `- Punkt 1 — Ewa: „…” — poparcie: Jan, Anna; przyjęta 1 października 2013 r., godz. 10:30 UTC.`
    fn amendment_line(&self, a: &AmendmentLine) -> String {
        let clause = a
            .clause
            .map_or_else(|| "Punkt już usunięty".to_owned(), |n| format!("Punkt {n}"));
        let supporters = if a.supporters.is_empty() {
            "bez poparcia".to_owned()
        } else {
            format!("poparcie: {}", a.supporters.join(", "))
        };
        let when = a
            .decided_at
            .map(|t| format!(" {}", self.time(t)))
            .unwrap_or_default();
        format!(
            "- {clause} — {}: „{}” — {supporters}; {}{when}.",
            a.author,
            a.text,
            self.status(a.status)
        )
    }
    fn amendment_columns(&self) -> [&'static str; 5] {
        ["Punkt", "Autor", "Brzmienie", "Poparcie", "Decyzja"]
    }
    fn versions(&self) -> &'static str {
        "Wersje"
    }
    fn no_versions(&self) -> &'static str {
        "Nie zatwierdzono jeszcze żadnej wersji."
    }
    fn version_line(&self, n: u32, at: i64, by: &str, sha256: &str) -> String {
        format!(
            "- Wersja {n}: zatwierdzona {} (moderator: {by}); SHA-256 `{sha256}`",
            self.time(at)
        )
    }
    fn version_columns(&self) -> [&'static str; 4] {
        ["Wersja", "Zatwierdzona", "Moderator", "SHA-256"]
    }
    fn version_intro(&self, n: u32, at: i64, by: &str) -> String {
        format!(
            "Wersja {n}, zatwierdzona {} (moderator: {by}).",
            self.time(at)
        )
    }
    fn version_sha256(&self, sha256: &str) -> String {
        format!("SHA-256 tekstu: `{sha256}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_times_are_civil_utc() {
        assert_eq!(
            Polish.time(1_380_623_400_000),
            "1 października 2013 r., godz. 10:30 UTC"
        );
        assert_eq!(
            Polish.time(951_782_400_000),
            "29 lutego 2000 r., godz. 0:00 UTC"
        );
    }

    #[test]
    fn polish_counts_take_their_forms() {
        let poprawki = |n| polish_count(n, "poprawka", "poprawki", "poprawek");
        for (n, expected) in [
            (0, "0 poprawek"),
            (1, "1 poprawka"),
            (2, "2 poprawki"),
            (4, "4 poprawki"),
            (5, "5 poprawek"),
            (11, "11 poprawek"),
            (12, "12 poprawek"),
            (14, "14 poprawek"),
            (21, "21 poprawek"),
            (22, "22 poprawki"),
            (101, "101 poprawek"),
            (112, "112 poprawek"),
            (124, "124 poprawki"),
        ] {
            assert_eq!(poprawki(n), expected);
        }
        assert_eq!(Polish.characters(1), "1 znak");
        assert_eq!(Polish.characters(3), "3 znaki");
        assert_eq!(Polish.characters(25), "25 znaków");
        assert_eq!(English.characters(1), "1 character");
        assert_eq!(English.characters(25), "25 characters");
    }

    fn amendment(status: &'static str) -> AmendmentLine {
        AmendmentLine {
            clause: Some(1),
            author: "Zbigniew Ćwiek".into(),
            supporters: Vec::new(),
            status,
            text: "Kraków — miasto otwarte 🏰".into(),
            decided_at: (status != "open").then_some(1_380_623_400_000),
        }
    }

    #[test]
    fn the_polish_tally_agrees_with_its_numbers() {
        assert_eq!(Polish.tally(&[]), None);
        assert_eq!(English.tally(&[amendment("open")]), None);
        assert_eq!(
            Polish.tally(&[amendment("accepted")]).unwrap(),
            "Razem 1 poprawka: 1 przyjęta."
        );
        let mut five = vec![amendment("accepted"); 3];
        five.push(amendment("rejected"));
        five.push(amendment("open"));
        assert_eq!(
            Polish.tally(&five).unwrap(),
            "Razem 5 poprawek: 3 przyjęte, 1 odrzucona, 1 nierozstrzygnięta."
        );
        let mut many = vec![amendment("rejected"); 12];
        many.extend(vec![amendment("open"); 10]);
        assert_eq!(
            Polish.tally(&many).unwrap(),
            "Razem 22 poprawki: 12 odrzuconych, 10 nierozstrzygniętych."
        );
    }

    #[test]
    fn an_amendment_line_in_each_language() {
        let mut a = amendment("accepted");
        a.supporters = vec!["Anna Ślusarczyk".into(), "Jan Brzęczyszczykiewicz".into()];
        assert_eq!(
            English.amendment_line(&a),
            "- Zbigniew Ćwiek proposed for clause 1: “Kraków — miasto otwarte 🏰” — supported by Anna Ślusarczyk, Jan Brzęczyszczykiewicz; accepted on 2013-10-01 10:30 UTC."
        );
        assert_eq!(
            Polish.amendment_line(&a),
            "- Punkt 1 — Zbigniew Ćwiek: „Kraków — miasto otwarte 🏰” — poparcie: Anna Ślusarczyk, Jan Brzęczyszczykiewicz; przyjęta 1 października 2013 r., godz. 10:30 UTC."
        );
        let mut open = amendment("open");
        open.clause = None;
        assert_eq!(
            Polish.amendment_line(&open),
            "- Punkt już usunięty — Zbigniew Ćwiek: „Kraków — miasto otwarte 🏰” — bez poparcia; nierozstrzygnięta."
        );
    }
}
