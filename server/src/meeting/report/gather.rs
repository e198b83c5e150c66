//! The method's part of the report gathered from what is stored: the
//! catalogue, the stage moves, the links, the signals and the checks,
//! against the clauses the report shows. What a hidden check keeps back
//! stays back here too.

use std::collections::HashMap;

use draftroom_shared::Stage;
use uuid::Uuid;

use crate::meeting::catalogue::common_ground;
use crate::meeting::consensus::{self, Stance, Tally, withheld};
use crate::meeting::report::ClauseLine;
use crate::meeting::report::method::{
    CheckLine, ElementLine, Fate, GroundLine, GroupLine, MethodPart, Objection, SignalLine,
};
use crate::meeting::state::MeetingState;
use crate::store::{CatalogueRecord, MethodRecord};

/// The method's part of a report on `clauses` (the agreed version's, or
/// the draft's).
pub(crate) fn method_part(
    c: &CatalogueRecord,
    m: &MethodRecord,
    clauses: &[ClauseLine],
    st: &MeetingState,
    freeze_reason: Option<String>,
) -> MethodPart {
    MethodPart {
        groups: groups(c, st),
        ground: ground(c, m, clauses),
        first_draft: first_draft(m, st.workshop),
        signals: signals(m, clauses, st),
        checks: m
            .checks
            .iter()
            .map(|k| {
                let hidden = withheld(k);
                let mut tally = Tally::default();
                let objections = k
                    .answers
                    .iter()
                    .inspect(|a| tally.count(&a.answer))
                    .filter(|a| objects(&a.answer, hidden))
                    .map(|a| objection(st, a.user_id, &a.answer, &a.reason, a.recorded_by))
                    .collect();
                CheckLine {
                    number: k.number,
                    opened_at: k.opened_at,
                    closed_at: k.closed_at,
                    hidden: k.hidden,
                    eligible: k.eligible,
                    answered: k.answers.len(),
                    tally: (!hidden).then_some(tally),
                    objections,
                }
            })
            .collect(),
        freeze_reason,
    }
}

/// Whether an answer is listed by name: a block always, a disagreement
/// unless the check keeps its answers back.
fn objects(stance: &str, hidden: bool) -> bool {
    stance == Stance::Block.as_str() || (!hidden && stance == Stance::Disagree.as_str())
}

fn objection(
    st: &MeetingState,
    user: Uuid,
    stance: &str,
    reason: &Option<String>,
    recorded_by: Uuid,
) -> Objection {
    Objection {
        name: st.name_of(user),
        stance: stance.to_owned(),
        reason: reason.clone().unwrap_or_default(),
        recorded: recorded_by != user,
    }
}

fn element_names(c: &CatalogueRecord) -> HashMap<Uuid, String> {
    let labels: HashMap<Uuid, &str> = c.groups.iter().map(|g| (g.id, g.label.as_str())).collect();
    c.elements
        .iter()
        .map(|e| {
            let label = labels.get(&e.group_id).copied().unwrap_or("?");
            (e.id, format!("{label}{}", e.position))
        })
        .collect()
}

fn groups(c: &CatalogueRecord, st: &MeetingState) -> Vec<GroupLine> {
    let names = element_names(c);
    let name = |id: Uuid| names.get(&id).cloned().unwrap_or_default();
    c.groups
        .iter()
        .map(|g| GroupLine {
            label: g.label.clone(),
            name: g.name.clone(),
            members: c
                .members
                .iter()
                .filter(|(_, gid)| *gid == g.id)
                .map(|(u, _)| st.name_of(*u))
                .collect(),
            elements: c
                .elements
                .iter()
                .filter(|e| e.group_id == g.id)
                .map(|e| {
                    let parts: Vec<String> = c
                        .elements
                        .iter()
                        .filter(|p| p.split_from == Some(e.id))
                        .map(|p| name(p.id))
                        .collect();
                    let fate = if let Some(into) = e.merged_into {
                        Fate::MergedInto(name(into))
                    } else if !parts.is_empty() {
                        Fate::SplitInto(parts)
                    } else if let Some(whole) = e.split_from {
                        Fate::SplitFrom(name(whole))
                    } else {
                        Fate::Kept
                    };
                    ElementLine {
                        name: name(e.id),
                        text: e.text.clone(),
                        fate,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The common ground with the clauses that carry each element (a link to
/// a duplicate counts for what it was merged into), values first in their
/// place with what is nested under them.
fn ground(c: &CatalogueRecord, m: &MethodRecord, clauses: &[ClauseLine]) -> Vec<GroundLine> {
    let merged: HashMap<Uuid, Uuid> = c
        .elements
        .iter()
        .filter_map(|e| e.merged_into.map(|into| (e.id, into)))
        .collect();
    let root = |mut id: Uuid| {
        for _ in 0..merged.len() {
            match merged.get(&id) {
                Some(next) => id = *next,
                None => break,
            }
        }
        id
    };
    let under: HashMap<Uuid, Uuid> = c
        .elements
        .iter()
        .filter_map(|e| e.under_value.map(|v| (e.id, v)))
        .collect();
    let common = common_ground(c);
    let line = |e: &crate::meeting::catalogue::CommonElement| {
        let mut numbers: Vec<usize> = m
            .links
            .iter()
            .filter(|l| root(l.element_id) == e.id)
            .filter_map(|l| {
                let id = l.clause_id.to_string();
                clauses.iter().position(|c| c.id == id).map(|i| i + 1)
            })
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        GroundLine {
            text: e.text.clone(),
            sources: e.sources.clone(),
            value: e.value,
            nested: Vec::new(),
            clauses: numbers,
        }
    };
    let values: Vec<Uuid> = common.iter().filter(|e| e.value).map(|e| e.id).collect();
    let nested_under = |e: &crate::meeting::catalogue::CommonElement| {
        under.get(&e.id).copied().filter(|v| values.contains(v))
    };
    common
        .iter()
        .filter(|e| nested_under(e).is_none())
        .map(|e| {
            let mut g = line(e);
            if e.value {
                g.nested = common
                    .iter()
                    .filter(|n| nested_under(n) == Some(e.id))
                    .map(line)
                    .collect();
            }
            g
        })
        .collect()
}

/// The draft as it stood when the room first moved from drafting to
/// amending it.
fn first_draft(m: &MethodRecord, workshop: bool) -> Option<String> {
    let mut before = if workshop {
        Stage::Collect
    } else {
        Stage::Amend
    };
    for mv in &m.moves {
        let stage: Stage = mv.stage.parse().ok()?;
        if before == Stage::Draft && stage == Stage::Amend {
            return Some(mv.draft_text.clone());
        }
        before = stage;
    }
    None
}

/// The signals standing on each reported clause's wording.
fn signals(m: &MethodRecord, clauses: &[ClauseLine], st: &MeetingState) -> Vec<SignalLine> {
    let latest = consensus::latest_signals(&m.signals);
    clauses
        .iter()
        .enumerate()
        .filter_map(|(i, clause)| {
            let id: Uuid = clause.id.parse().ok()?;
            let sha = crate::secrets::sha256_hex(&clause.text);
            let (tally, standing) = consensus::standing(&latest, id, &sha);
            if standing.is_empty() {
                return None;
            }
            Some(SignalLine {
                clause: i + 1,
                tally,
                objections: standing
                    .iter()
                    .filter(|s| objects(&s.signal, false))
                    .map(|s| objection(st, s.user_id, &s.signal, &s.reason, s.recorded_by))
                    .collect(),
            })
        })
        .collect()
}
