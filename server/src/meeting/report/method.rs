//! The workshop's part of the record, in the order the meeting ran: the
//! working groups and their proposals, the common ground with where each
//! element came from and the values, the moderator's first draft, the
//! signals on the clauses, the consensus checks, and where each element of
//! the common ground stands in the text. The data here, its words in each
//! language in [`MethodWords`].

use draftroom_shared::Language;

use crate::meeting::consensus::Tally;
use crate::meeting::report::words::polish_plural;
use crate::meeting::report::words::{PolishPlural, Words, words};

/// One working group and what it brought.
#[derive(Debug, Clone)]
pub struct GroupLine {
    /// `A`, `B`…
    pub label: String,
    /// Its name.
    pub name: String,
    /// Its members' names.
    pub members: Vec<String>,
    /// Its elements in order.
    pub elements: Vec<ElementLine>,
}

/// One element of a group's list.
#[derive(Debug, Clone)]
pub struct ElementLine {
    /// `A1`…
    pub name: String,
    /// Its words.
    pub text: String,
    /// What became of it in the catalogue.
    pub fate: Fate,
}

/// What the moderator made of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// It stands as brought.
    Kept,
    /// A duplicate, merged into the element named.
    MergedInto(String),
    /// A compound, split into the elements named.
    SplitInto(Vec<String>),
    /// A part of the compound element named.
    SplitFrom(String),
}

/// One element of the common ground.
#[derive(Debug, Clone)]
pub struct GroundLine {
    /// Its words.
    pub text: String,
    /// Where it came from: `A1`, `B3`…
    pub sources: Vec<String>,
    /// Whether it is a value.
    pub value: bool,
    /// The elements nested under it, if it is a value (their lines).
    pub nested: Vec<GroundLine>,
    /// The numbers (1-based) of the clauses of the reported text that
    /// carry it.
    pub clauses: Vec<usize>,
}

/// The signals standing on one clause of the reported text.
#[derive(Debug, Clone)]
pub struct SignalLine {
    /// The clause's number.
    pub clause: usize,
    /// How many of each.
    pub tally: Tally,
    /// Disagreements and blocks: name, stance, reason, recorded for them.
    pub objections: Vec<Objection>,
}

/// A disagreement or a block, named with its reason.
#[derive(Debug, Clone)]
pub struct Objection {
    /// Whose.
    pub name: String,
    /// `disagree` or `block`.
    pub stance: String,
    /// Why.
    pub reason: String,
    /// Whether the moderator recorded it for them.
    pub recorded: bool,
}

/// One consensus check on the whole text.
#[derive(Debug, Clone)]
pub struct CheckLine {
    /// Its number.
    pub number: u32,
    /// When it opened.
    pub opened_at: i64,
    /// When it closed (None: still open).
    pub closed_at: Option<i64>,
    /// Whether answers were hidden until it closed.
    pub hidden: bool,
    /// How many could answer, and how many did.
    pub eligible: u32,
    /// How many answered.
    pub answered: usize,
    /// The tally (None while a hidden check is open).
    pub tally: Option<Tally>,
    /// The blocks, named, always; the disagreements once readable.
    pub objections: Vec<Objection>,
}

/// The method's part of a report; empty for a meeting that used none of
/// it.
#[derive(Debug, Clone, Default)]
pub struct MethodPart {
    /// The working groups.
    pub groups: Vec<GroupLine>,
    /// The common ground.
    pub ground: Vec<GroundLine>,
    /// The draft as it was when the room began amending it.
    pub first_draft: Option<String>,
    /// Signals on the reported text's clauses.
    pub signals: Vec<SignalLine>,
    /// Consensus checks.
    pub checks: Vec<CheckLine>,
    /// The reason the reported version was frozen without consent.
    pub freeze_reason: Option<String>,
}

impl MethodPart {
    /// The common ground, values with what is nested under them, flat.
    pub(crate) fn ground_flat(&self) -> impl Iterator<Item = &GroundLine> {
        self.ground
            .iter()
            .flat_map(|g| std::iter::once(g).chain(g.nested.iter()))
    }
}

/// The method's words in one language.
pub(crate) trait MethodWords: Sync {
    fn groups(&self) -> &'static str;
    fn members(&self, names: &[String]) -> String;
    fn fate(&self, fate: &Fate) -> Option<String>;
    fn ground(&self) -> &'static str;
    fn ground_intro(&self) -> &'static str;
    fn value(&self) -> &'static str;
    fn first_draft(&self) -> &'static str;
    fn signals(&self) -> &'static str;
    fn clause(&self, n: usize) -> String;
    fn stance(&self, stance: &str) -> &'static str;
    fn recorded(&self) -> &'static str;
    fn checks(&self) -> &'static str;
    fn check(&self, c: &CheckLine, w: &dyn Words) -> String;
    fn freeze_reason(&self, reason: &str) -> String;
    fn map(&self) -> &'static str;
    fn carried(&self, clauses: &[usize]) -> String;
    fn not_carried(&self) -> &'static str;

    /// A tally in the order agree, abstain, disagree, block.
    fn tally(&self, t: &Tally) -> String {
        [
            ("agree", t.agree),
            ("abstain", t.abstain),
            ("disagree", t.disagree),
            ("block", t.block),
        ]
        .iter()
        .map(|(s, n)| format!("{} {n}", self.stance(s)))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// An objection: name, stance, reason.
    fn objection(&self, o: &Objection) -> String {
        let recorded = if o.recorded { self.recorded() } else { "" };
        format!(
            "{}: {}{recorded} — „{}”",
            self.stance(&o.stance),
            o.name,
            o.reason
        )
    }
}

/// The method's words of `language`.
pub(crate) fn method_words(language: Language) -> &'static dyn MethodWords {
    match language {
        Language::En => &English,
        Language::Pl => &Polish,
    }
}

struct English;

impl MethodWords for English {
    fn groups(&self) -> &'static str {
        "Working groups and their proposals"
    }
    fn members(&self, names: &[String]) -> String {
        format!("Members: {}.", names.join(", "))
    }
    fn fate(&self, fate: &Fate) -> Option<String> {
        match fate {
            Fate::Kept => None,
            Fate::MergedInto(n) => Some(format!("merged into {n}")),
            Fate::SplitInto(parts) => Some(format!("split into {}", parts.join(", "))),
            Fate::SplitFrom(n) => Some(format!("part of {n}")),
        }
    }
    fn ground(&self) -> &'static str {
        "Common ground: the elements all proposals share"
    }
    fn ground_intro(&self) -> &'static str {
        "Each element with the proposals it came from; the values everything rests on in bold."
    }
    fn value(&self) -> &'static str {
        "value"
    }
    fn first_draft(&self) -> &'static str {
        "The moderator's first draft"
    }
    fn signals(&self) -> &'static str {
        "Signals on the clauses"
    }
    fn clause(&self, n: usize) -> String {
        format!("Clause {n}")
    }
    fn stance(&self, stance: &str) -> &'static str {
        match stance {
            "agree" => "agree",
            "abstain" => "abstain",
            "disagree" => "disagree",
            _ => "block",
        }
    }
    fn recorded(&self) -> &'static str {
        " (recorded by the moderator)"
    }
    fn checks(&self) -> &'static str {
        "Consensus checks on the whole text"
    }
    fn check(&self, c: &CheckLine, w: &dyn Words) -> String {
        let hidden = if c.hidden {
            ", answers hidden until it closed"
        } else {
            ""
        };
        let state = match c.closed_at {
            Some(at) => format!("closed {}", w.time(at)),
            None => "still open".to_owned(),
        };
        let result = match &c.tally {
            Some(t) => self.tally(t),
            None => "the results are hidden until it closes".to_owned(),
        };
        format!(
            "Check {} (opened {}{hidden}; {state}): {} of {} answered; {result}.",
            c.number,
            w.time(c.opened_at),
            c.answered,
            c.eligible
        )
    }
    fn freeze_reason(&self, reason: &str) -> String {
        format!("Frozen without the room's consent, for the moderator's reason: “{reason}”")
    }
    fn map(&self) -> &'static str {
        "Where the common ground stands in the text"
    }
    fn carried(&self, clauses: &[usize]) -> String {
        let list: Vec<String> = clauses.iter().map(usize::to_string).collect();
        if clauses.len() == 1 {
            format!("clause {}", list[0])
        } else {
            format!("clauses {}", list.join(", "))
        }
    }
    fn not_carried(&self) -> &'static str {
        "carried by no clause"
    }
}

struct Polish;

impl MethodWords for Polish {
    fn groups(&self) -> &'static str {
        "Grupy robocze i ich propozycje"
    }
    fn members(&self, names: &[String]) -> String {
        format!("Skład: {}.", names.join(", "))
    }
    fn fate(&self, fate: &Fate) -> Option<String> {
        match fate {
            Fate::Kept => None,
            Fate::MergedInto(n) => Some(format!("połączony z {n}")),
            Fate::SplitInto(parts) => Some(format!("rozdzielony na {}", parts.join(", "))),
            Fate::SplitFrom(n) => Some(format!("część {n}")),
        }
    }
    fn ground(&self) -> &'static str {
        "Elementy wspólne wszystkich propozycji"
    }
    fn ground_intro(&self) -> &'static str {
        "Przy każdym elemencie propozycje, z których pochodzi; wartości, na których opiera się całość, pogrubiono."
    }
    fn value(&self) -> &'static str {
        "wartość"
    }
    fn first_draft(&self) -> &'static str {
        "Pierwsza propozycja zapisu"
    }
    fn signals(&self) -> &'static str {
        "Stanowiska wobec punktów"
    }
    fn clause(&self, n: usize) -> String {
        format!("Punkt {n}")
    }
    fn stance(&self, stance: &str) -> &'static str {
        match stance {
            "agree" => "zgoda",
            "abstain" => "wstrzymanie",
            "disagree" => "sprzeciw",
            _ => "weto",
        }
    }
    fn recorded(&self) -> &'static str {
        " (zapis moderacji)"
    }
    fn checks(&self) -> &'static str {
        "Sprawdzenie zgody na cały tekst"
    }
    fn check(&self, c: &CheckLine, w: &dyn Words) -> String {
        let hidden = if c.hidden {
            ", odpowiedzi ukryte do zamknięcia"
        } else {
            ""
        };
        let state = match c.closed_at {
            Some(at) => format!("zamknięte {}", w.time(at)),
            None => "nadal otwarte".to_owned(),
        };
        let result = match &c.tally {
            Some(t) => self.tally(t),
            None => "wyniki ukryte do zamknięcia".to_owned(),
        };
        let answers = match polish_plural(c.answered as u64) {
            PolishPlural::One => "odpowiedź",
            PolishPlural::Few => "odpowiedzi",
            PolishPlural::Many => "odpowiedzi",
        };
        format!(
            "Sprawdzenie {} (otwarte {}{hidden}; {state}): {} {answers} na {} możliwych; {result}.",
            c.number,
            w.time(c.opened_at),
            c.answered,
            c.eligible
        )
    }
    fn freeze_reason(&self, reason: &str) -> String {
        format!("Zatwierdzono bez zgody sali, z uzasadnieniem moderacji: „{reason}”")
    }
    fn map(&self) -> &'static str {
        "Elementy wspólne w tekście"
    }
    fn carried(&self, clauses: &[usize]) -> String {
        let list: Vec<String> = clauses.iter().map(usize::to_string).collect();
        if clauses.len() == 1 {
            format!("punkt {}", list[0])
        } else {
            format!("punkty {}", list.join(", "))
        }
    }
    fn not_carried(&self) -> &'static str {
        "nie ma go w żadnym punkcie"
    }
}

/// Both word sets of a language.
pub(crate) fn all_words(language: Language) -> (&'static dyn Words, &'static dyn MethodWords) {
    (words(language), method_words(language))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(answered: usize, tally: Option<Tally>, closed: bool) -> CheckLine {
        CheckLine {
            number: 2,
            opened_at: 1_380_621_600_000,
            closed_at: closed.then_some(1_380_622_200_000),
            hidden: true,
            eligible: 18,
            answered,
            tally,
            objections: Vec::new(),
        }
    }

    #[test]
    fn a_hidden_open_check_says_only_how_many_answered() {
        let (w, m) = all_words(Language::Pl);
        let line = m.check(&check(14, None, false), w);
        assert_eq!(
            line,
            "Sprawdzenie 2 (otwarte 1 października 2013 r., godz. 10:00 UTC, odpowiedzi ukryte do zamknięcia; nadal otwarte): 14 odpowiedzi na 18 możliwych; wyniki ukryte do zamknięcia."
        );
        let (w, m) = all_words(Language::En);
        let tally = Tally {
            agree: 16,
            abstain: 1,
            disagree: 1,
            block: 0,
        };
        let line = m.check(&check(18, Some(tally), true), w);
        assert!(
            line.ends_with("18 of 18 answered; agree 16, abstain 1, disagree 1, block 0."),
            "{line}"
        );
        assert!(
            line.contains("closed 1 October 2013") || line.contains("closed 2013"),
            "{line}"
        );
    }

    #[test]
    fn clauses_that_carry_an_element_are_counted_in_each_language() {
        let m = method_words(Language::Pl);
        assert_eq!(m.carried(&[2]), "punkt 2");
        assert_eq!(m.carried(&[1, 3]), "punkty 1, 3");
        let m = method_words(Language::En);
        assert_eq!(m.carried(&[1, 3]), "clauses 1, 3");
        let o = Objection {
            name: "Jan Żak".into(),
            stance: "block".into(),
            reason: "brak nauki".into(),
            recorded: true,
        };
        assert_eq!(
            method_words(Language::Pl).objection(&o),
            "weto: Jan Żak (zapis moderacji) — „brak nauki”"
        );
    }
}
