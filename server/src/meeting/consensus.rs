//! Consensus as the method reads it, with no I/O: the signals people give
//! on a clause's wording and which of them still count, the consensus
//! checks on the whole text and what of them anyone may read, and whether
//! the text may be frozen.
//!
//! A signal is given on one wording (the SHA-256 of the clause's text) and
//! lapses when the wording changes; each person's latest signal on a
//! clause is the one that counts. A check's answers may be hidden until it
//! closes: then no individual answer is readable, whoever asks and
//! however (the `meeting` room, the API, the report) — only how many have
//! answered, who has, and the blocks, which stay named.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::meeting::error::MeetingError;
use crate::meeting::input::clean_text;
use crate::meeting::state::Member;
use crate::store::{AnswerRecord, CheckRecord, SignalRecord};

/// Longest reason for a signal, an answer or a freeze over blocks.
pub(crate) const MAX_REASON: usize = 1000;

/// What a person says of a wording: of one clause (a signal) or of the
/// whole text (an answer to a check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stance {
    Agree,
    Abstain,
    Disagree,
    Block,
}

impl Stance {
    const ALL: [Stance; 4] = [
        Stance::Agree,
        Stance::Abstain,
        Stance::Disagree,
        Stance::Block,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stance::Agree => "agree",
            Stance::Abstain => "abstain",
            Stance::Disagree => "disagree",
            Stance::Block => "block",
        }
    }

    /// Disagreeing and blocking say why.
    fn needs_reason(self) -> bool {
        matches!(self, Stance::Disagree | Stance::Block)
    }

    /// The stance and its reason as given: a known stance, and a reason
    /// where it needs one (kept, trimmed, where it is optional).
    pub(crate) fn given(
        stance: &str,
        reason: Option<&str>,
    ) -> Result<(Stance, Option<String>), MeetingError> {
        let stance: Stance = stance.parse()?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match reason {
            Some(r) => Ok((stance, Some(clean_text("reason", r, MAX_REASON)?))),
            None if stance.needs_reason() => Err(MeetingError::invalid(format!(
                "a reason is required to {stance}"
            ))),
            None => Ok((stance, None)),
        }
    }
}

impl fmt::Display for Stance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stance {
    type Err = MeetingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stance::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                MeetingError::invalid(format!(
                    "{s:?} is not a signal: agree, abstain, disagree or block"
                ))
            })
    }
}

/// How many of each stance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Agreements.
    pub agree: u32,
    /// Abstentions.
    pub abstain: u32,
    /// Disagreements (each with its reason).
    pub disagree: u32,
    /// Blocks (each with its reason).
    pub block: u32,
}

impl Tally {
    /// Counts one stance (an unknown one not at all).
    pub(crate) fn count(&mut self, stance: &str) {
        match stance.parse::<Stance>() {
            Ok(Stance::Agree) => self.agree += 1,
            Ok(Stance::Abstain) => self.abstain += 1,
            Ok(Stance::Disagree) => self.disagree += 1,
            Ok(Stance::Block) => self.block += 1,
            Err(_) => {}
        }
    }
}

/// Each person's latest signal on each clause, in the order they were
/// last given.
pub(crate) fn latest_signals(signals: &[SignalRecord]) -> Vec<&SignalRecord> {
    let mut last: HashMap<(Uuid, Uuid), usize> = HashMap::new();
    for (i, s) in signals.iter().enumerate() {
        last.insert((s.clause_id, s.user_id), i);
    }
    let mut kept: Vec<usize> = last.into_values().collect();
    kept.sort_unstable();
    kept.into_iter().map(|i| &signals[i]).collect()
}

/// The signals on one clause that still count (given on `sha256`, its
/// current wording), and their tally.
pub(crate) fn standing<'a>(
    latest: &[&'a SignalRecord],
    clause: Uuid,
    sha256: &str,
) -> (Tally, Vec<&'a SignalRecord>) {
    let standing: Vec<&SignalRecord> = latest
        .iter()
        .copied()
        .filter(|s| s.clause_id == clause && s.sha256 == sha256)
        .collect();
    let mut tally = Tally::default();
    for s in &standing {
        tally.count(&s.signal);
    }
    (tally, standing)
}

fn name_of(members: &HashMap<Uuid, Member>, user: Uuid) -> &str {
    members.get(&user).map_or("", |m| m.name.as_str())
}

/// A signal as anyone reads it.
pub(crate) fn signal_view(s: &SignalRecord, members: &HashMap<Uuid, Member>) -> Value {
    json!({
        "user_id": s.user_id,
        "name": name_of(members, s.user_id),
        "signal": s.signal,
        "reason": s.reason,
        "sha256": s.sha256,
        "recorded_by": (s.recorded_by != s.user_id).then_some(s.recorded_by),
        "given_at": s.given_at,
    })
}

fn answer_view(a: &AnswerRecord, members: &HashMap<Uuid, Member>) -> Value {
    json!({
        "user_id": a.user_id,
        "name": name_of(members, a.user_id),
        "answer": a.answer,
        "reason": a.reason,
        "recorded_by": (a.recorded_by != a.user_id).then_some(a.recorded_by),
        "answered_at": a.answered_at,
    })
}

/// Whether a check's individual answers are kept back now.
pub(crate) fn withheld(k: &CheckRecord) -> bool {
    k.hidden && k.closed_at.is_none()
}

/// A check as anyone may read it, whoever asks: while a hidden check is
/// open, how many answered and who, and the blocks (named, with their
/// reasons), but no other answer and no tally.
pub(crate) fn check_view(k: &CheckRecord, members: &HashMap<Uuid, Member>) -> Value {
    let blocks: Vec<Value> = k
        .answers
        .iter()
        .filter(|a| a.answer == Stance::Block.as_str())
        .map(|a| answer_view(a, members))
        .collect();
    let (answers, tally) = if withheld(k) {
        (Value::Null, Value::Null)
    } else {
        let mut tally = Tally::default();
        for a in &k.answers {
            tally.count(&a.answer);
        }
        let answers: Vec<Value> = k.answers.iter().map(|a| answer_view(a, members)).collect();
        (Value::from(answers), json!(tally))
    };
    json!({
        "number": k.number,
        "opened_at": k.opened_at,
        "opened_by": k.opened_by,
        "sha256": k.sha256,
        "text": k.text,
        "hidden": k.hidden,
        "eligible": k.eligible,
        "answered": k.answers.len(),
        "answered_by": k.answers.iter().map(|a| a.user_id).collect::<Vec<_>>(),
        "closed_at": k.closed_at,
        "closed_by": k.closed_by,
        "blocks": blocks,
        "answers": answers,
        "tally": tally,
    })
}

/// Whether the text whose SHA-256 is `sha256` has the room's consent, as
/// the last check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consent {
    /// The last check, closed, asked about this text and found no block.
    Given,
    /// No check yet.
    NeverChecked,
    /// The last check is still open.
    StillOpen(u32),
    /// The last check asked about another text.
    Outdated(u32),
    /// The last check, on this text, closed with blocks.
    Blocked(u32, usize),
}

impl Consent {
    /// Its name on the wire: `given`, `never_checked`, `still_open`,
    /// `outdated` or `blocked`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Consent::Given => "given",
            Consent::NeverChecked => "never_checked",
            Consent::StillOpen(_) => "still_open",
            Consent::Outdated(_) => "outdated",
            Consent::Blocked(..) => "blocked",
        }
    }

    /// What a freeze without a reason is refused with, unless given.
    pub(crate) fn refusal(self) -> Option<MeetingError> {
        let message = match self {
            Consent::Given => return None,
            Consent::NeverChecked => {
                "no consensus check has been held on this text: open one, or give a written reason for freezing without it".to_owned()
            }
            Consent::StillOpen(n) => format!(
                "check {n} is still open: close it first, or give a written reason for freezing without it"
            ),
            Consent::Outdated(n) => format!(
                "the text changed after check {n}: check it again, or give a written reason for freezing without it"
            ),
            Consent::Blocked(n, blocks) => format!(
                "check {n} closed with {blocks} block(s) standing: give a written reason for freezing over them"
            ),
        };
        Some(MeetingError::NoConsensus(message))
    }
}

/// The consent the checks give the text `sha256`.
pub(crate) fn consent(checks: &[CheckRecord], sha256: &str) -> Consent {
    let Some(last) = checks.last() else {
        return Consent::NeverChecked;
    };
    if last.closed_at.is_none() {
        return Consent::StillOpen(last.number);
    }
    if last.sha256 != sha256 {
        return Consent::Outdated(last.number);
    }
    let blocks = last
        .answers
        .iter()
        .filter(|a| a.answer == Stance::Block.as_str())
        .count();
    if blocks > 0 {
        Consent::Blocked(last.number, blocks)
    } else {
        Consent::Given
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(clause: Uuid, user: Uuid, stance: &str, sha: &str, at: i64) -> SignalRecord {
        SignalRecord {
            clause_id: clause,
            user_id: user,
            signal: stance.into(),
            reason: None,
            sha256: sha.into(),
            recorded_by: user,
            given_at: at,
        }
    }

    fn answer(user: Uuid, stance: &str) -> AnswerRecord {
        AnswerRecord {
            user_id: user,
            answer: stance.into(),
            reason: (stance == "block").then(|| "nie zgadzam się".into()),
            recorded_by: user,
            answered_at: 1,
        }
    }

    fn check(
        number: u32,
        sha: &str,
        hidden: bool,
        closed: bool,
        answers: Vec<AnswerRecord>,
    ) -> CheckRecord {
        CheckRecord {
            number,
            opened_at: 0,
            opened_by: Uuid::nil(),
            text: "t".into(),
            sha256: sha.into(),
            hidden,
            eligible: 3,
            closed_at: closed.then_some(5),
            closed_by: closed.then_some(Uuid::nil()),
            answers,
        }
    }

    #[test]
    fn a_reason_is_required_to_disagree_or_block_and_unknown_stances_are_refused() {
        assert!(Stance::given("agree", None).is_ok());
        assert!(Stance::given("abstain", Some("  ")).unwrap().1.is_none());
        for s in ["disagree", "block"] {
            let e = Stance::given(s, None).unwrap_err();
            assert!(matches!(e, MeetingError::Invalid(_)), "{e:?}");
            let e = Stance::given(s, Some("   ")).unwrap_err();
            assert!(matches!(e, MeetingError::Invalid(_)), "{e:?}");
            let (stance, reason) = Stance::given(s, Some(" za ogólne ")).unwrap();
            assert_eq!((stance.as_str(), reason.as_deref()), (s, Some("za ogólne")));
        }
        assert!(matches!(
            Stance::given("veto", None),
            Err(MeetingError::Invalid(_))
        ));
    }

    #[test]
    fn the_latest_signal_counts_and_lapses_with_the_wording() {
        let (clause, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (ala, ola) = (Uuid::new_v4(), Uuid::new_v4());
        let signals = vec![
            signal(clause, ala, "block", "old", 1),
            signal(clause, ola, "agree", "new", 2),
            signal(clause, ala, "agree", "new", 3),
            signal(other, ala, "disagree", "x", 4),
            signal(clause, ola, "abstain", "old", 5),
        ];
        let latest = latest_signals(&signals);
        assert_eq!(latest.len(), 3, "one per person per clause");
        let (tally, counted) = standing(&latest, clause, "new");
        // Ola's latest is on the old wording: it lapsed; Ala's block was
        // replaced by her agreement.
        assert_eq!(
            tally,
            Tally {
                agree: 1,
                ..Tally::default()
            }
        );
        assert_eq!(counted.len(), 1);
        assert_eq!(counted[0].user_id, ala);
        let (tally, _) = standing(&latest, clause, "old");
        assert_eq!(
            tally,
            Tally {
                abstain: 1,
                ..Tally::default()
            }
        );
    }

    #[test]
    fn a_hidden_open_check_shows_counts_and_named_blocks_only() {
        let (ala, ola, jan) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let answers = vec![
            answer(ala, "agree"),
            answer(ola, "block"),
            answer(jan, "disagree"),
        ];
        let members = HashMap::new();
        let open = check_view(&check(1, "s", true, false, answers.clone()), &members);
        assert_eq!(open["answered"], 3);
        assert_eq!(open["answers"], Value::Null);
        assert_eq!(open["tally"], Value::Null);
        assert_eq!(open["blocks"].as_array().unwrap().len(), 1);
        assert_eq!(open["blocks"][0]["user_id"], json!(ola));
        let text = open.to_string();
        assert!(!text.contains("\"agree\""), "{text}");
        assert!(!text.contains("\"disagree\""), "{text}");
        let closed = check_view(&check(1, "s", true, true, answers.clone()), &members);
        assert_eq!(
            closed["tally"],
            json!({"agree": 1, "abstain": 0, "disagree": 1, "block": 1})
        );
        assert_eq!(closed["answers"].as_array().unwrap().len(), 3);
        let open_shown = check_view(&check(1, "s", false, false, answers), &members);
        assert_eq!(open_shown["answers"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn consent_needs_a_closed_check_on_this_text_without_blocks() {
        let ala = Uuid::new_v4();
        assert_eq!(consent(&[], "s"), Consent::NeverChecked);
        assert_eq!(
            consent(&[check(1, "s", false, false, vec![])], "s"),
            Consent::StillOpen(1)
        );
        assert_eq!(
            consent(&[check(1, "old", false, true, vec![])], "s"),
            Consent::Outdated(1)
        );
        let blocked = check(2, "s", false, true, vec![answer(ala, "block")]);
        assert_eq!(
            consent(&[check(1, "s", false, true, vec![]), blocked], "s"),
            Consent::Blocked(2, 1)
        );
        let agreed = check(1, "s", true, true, vec![answer(ala, "agree")]);
        assert_eq!(consent(std::slice::from_ref(&agreed), "s"), Consent::Given);
        assert!(Consent::Given.refusal().is_none());
        assert!(matches!(
            Consent::Blocked(2, 1).refusal(),
            Some(MeetingError::NoConsensus(_))
        ));
    }
}
