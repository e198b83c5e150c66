//! The common ground of a workshop: the elements of the catalogue that
//! every working group shares, computed from the groups' own lists, the
//! moderator's merges and splits and the groups' share marks, never typed
//! in. Plain logic over the stored catalogue.

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use crate::store::{CatalogueRecord, ElementRecord};

/// One element of the common ground, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommonElement {
    /// The element that stands for it (not merged into another).
    pub id: Uuid,
    /// Its words.
    pub text: String,
    /// Whether it is a value the others rest on.
    pub value: bool,
    /// Every element it gathers, as "A1", "B3"…: itself first, then the
    /// duplicates merged into it, in the catalogue's order.
    pub sources: Vec<String>,
}

/// The element a chain of merges ends at.
fn root<'a>(
    by_id: &HashMap<Uuid, &'a ElementRecord>,
    mut e: &'a ElementRecord,
) -> &'a ElementRecord {
    // A chain can be no longer than the catalogue; a cycle (which the
    // commands never make) stops there too.
    for _ in 0..by_id.len() {
        match e.merged_into.and_then(|id| by_id.get(&id)) {
            Some(next) => e = next,
            None => break,
        }
    }
    e
}

/// The elements every group shares, in the catalogue's order (by group,
/// then position). A group shares an element if it brought it, brought a
/// duplicate merged into it, or marked it (or one of its duplicates) as
/// shared. A compound element that was split stands for nothing itself:
/// its parts do. With no groups there is no common ground.
pub(crate) fn common_ground(catalogue: &CatalogueRecord) -> Vec<CommonElement> {
    let all: BTreeSet<Uuid> = catalogue.groups.iter().map(|g| g.id).collect();
    if all.is_empty() {
        return Vec::new();
    }
    let labels: HashMap<Uuid, &str> = catalogue
        .groups
        .iter()
        .map(|g| (g.id, g.label.as_str()))
        .collect();
    let by_id: HashMap<Uuid, &ElementRecord> =
        catalogue.elements.iter().map(|e| (e.id, e)).collect();
    let split: BTreeSet<Uuid> = catalogue
        .elements
        .iter()
        .filter_map(|e| e.split_from)
        .collect();
    let mut sharing: HashMap<Uuid, BTreeSet<Uuid>> = HashMap::new();
    let mut sources: HashMap<Uuid, Vec<String>> = HashMap::new();
    for e in &catalogue.elements {
        let r = root(&by_id, e).id;
        sharing.entry(r).or_default().insert(e.group_id);
        let label = labels.get(&e.group_id).copied().unwrap_or("?");
        let name = format!("{label}{}", e.position);
        let list = sources.entry(r).or_default();
        if e.id == r {
            list.insert(0, name);
        } else {
            list.push(name);
        }
    }
    for s in &catalogue.shares {
        if let Some(e) = by_id.get(&s.element_id) {
            sharing
                .entry(root(&by_id, e).id)
                .or_default()
                .insert(s.group_id);
        }
    }
    catalogue
        .elements
        .iter()
        .filter(|e| e.merged_into.is_none() && !split.contains(&e.id))
        .filter(|e| sharing.get(&e.id).is_some_and(|g| g.is_superset(&all)))
        .map(|e| CommonElement {
            id: e.id,
            text: e.text.clone(),
            value: e.value,
            sources: sources.remove(&e.id).unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{GroupRecord, ShareRecord};

    /// The elements the Kraków workshop of 1 October 2013 found common to
    /// all proposals, in its record's order; the two in bold are values.
    const SEED: [(&str, bool); 11] = [
        (
            "świadomi i aktywni mieszkańcy + komunikowanie się z mieszkańcami",
            false,
        ),
        ("współodpowiedzialność", true),
        ("tworzenie warunków dla rozwoju kapitału społecznego", false),
        ("współpraca dla biznesu", false),
        ("powiązanie biznesu z nauką", false),
        ("inicjowanie i tworzenie warunków", false),
        (
            "stworzenie płaszczyzny / przestrzeni publicznej do wypracowania konsensusu, współpracy, współdziałania",
            false,
        ),
        ("harmonizowanie, wspólne działanie", false),
        ("współuczestnictwo", true),
        ("partnerskie zarządzanie w skali metropolitalnej", false),
        ("kultura i nowoczesna gospodarka", false),
    ];

    struct Workshop {
        catalogue: CatalogueRecord,
        next: u128,
    }

    impl Workshop {
        fn new(labels: &[&str]) -> Workshop {
            let groups = labels
                .iter()
                .zip(1..)
                .map(|(label, n)| GroupRecord {
                    id: Uuid::from_u128(n),
                    label: (*label).into(),
                    name: format!("Grupa {label}"),
                    created_at: 0,
                })
                .collect();
            Workshop {
                catalogue: CatalogueRecord {
                    groups,
                    ..CatalogueRecord::default()
                },
                next: 1000,
            }
        }

        fn group(&self, label: &str) -> Uuid {
            self.catalogue
                .groups
                .iter()
                .find(|g| g.label == label)
                .unwrap()
                .id
        }

        fn bring(&mut self, label: &str, text: &str, value: bool) -> Uuid {
            let group_id = self.group(label);
            let position = self
                .catalogue
                .elements
                .iter()
                .filter(|e| e.group_id == group_id)
                .count() as u32
                + 1;
            self.next += 1;
            let id = Uuid::from_u128(self.next);
            self.catalogue.elements.push(ElementRecord {
                id,
                group_id,
                position,
                text: text.into(),
                author_id: Uuid::from_u128(9),
                created_at: self.next as i64,
                split_from: None,
                merged_into: None,
                value,
                under_value: None,
            });
            id
        }

        fn element(&mut self, id: Uuid) -> &mut ElementRecord {
            self.catalogue
                .elements
                .iter_mut()
                .find(|e| e.id == id)
                .unwrap()
        }

        fn share(&mut self, label: &str, element_id: Uuid) {
            let group_id = self.group(label);
            self.catalogue.shares.push(ShareRecord {
                element_id,
                group_id,
                marked_by: Uuid::from_u128(9),
                marked_at: 0,
            });
        }
    }

    #[test]
    fn the_seed_workshop_narrows_to_its_elements_and_values() {
        let mut w = Workshop::new(&["A", "B", "C"]);
        // Group A brought the seed's elements, and one only it holds.
        let seed: Vec<Uuid> = SEED.iter().map(|(t, v)| w.bring("A", t, *v)).collect();
        let only_a = w.bring("A", "metropolia jako marka", false);
        // Group B brought two of them in its own words: merged into A's.
        let b_dup = w.bring("B", "wspólne działanie", false);
        w.element(b_dup).merged_into = Some(seed[7]);
        let b_dup2 = w.bring("B", "współuczestnictwo mieszkańców", false);
        w.element(b_dup2).merged_into = Some(seed[8]);
        // B marks the rest of the seed's as shared; C marks all of them,
        // once through B's duplicate.
        for (i, id) in seed.iter().enumerate() {
            if i != 7 && i != 8 {
                w.share("B", *id);
            }
            if i == 7 {
                w.share("C", b_dup);
            } else {
                w.share("C", *id);
            }
        }
        // B shares A's own element; C does not.
        w.share("B", only_a);
        // C's compound element was split; one part is shared by all, and
        // the compound itself stands for nothing.
        let compound = w.bring("C", "kultura i sport", false);
        let part = w.bring("C", "kultura", false);
        w.element(part).split_from = Some(compound);
        w.share("A", compound);
        w.share("B", compound);
        w.share("A", part);
        w.share("B", part);

        let ground = common_ground(&w.catalogue);
        let texts: Vec<&str> = ground.iter().map(|e| e.text.as_str()).collect();
        let mut expected: Vec<&str> = SEED.iter().map(|(t, _)| *t).collect();
        expected.push("kultura");
        assert_eq!(texts, expected);
        let values: Vec<&str> = ground
            .iter()
            .filter(|e| e.value)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(values, ["współodpowiedzialność", "współuczestnictwo"]);
        assert_eq!(ground[7].sources, ["A8", "B1"]);
        assert_eq!(ground[8].sources, ["A9", "B2"]);
        assert_eq!(ground[0].sources, ["A1"]);
        assert_eq!(ground[11].sources, ["C2"]);
    }

    #[test]
    fn an_unmarked_group_or_no_group_leaves_no_common_ground() {
        let mut w = Workshop::new(&["A", "B"]);
        let e = w.bring("A", "współodpowiedzialność", true);
        assert_eq!(common_ground(&w.catalogue), []);
        w.share("B", e);
        assert_eq!(common_ground(&w.catalogue).len(), 1);
        w.catalogue.shares.clear();
        w.catalogue.groups.pop();
        assert_eq!(
            common_ground(&w.catalogue).len(),
            1,
            "one group shares its own"
        );
        w.catalogue.groups.clear();
        assert_eq!(common_ground(&w.catalogue), []);
    }
}
