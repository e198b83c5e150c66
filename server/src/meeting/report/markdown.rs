//! Markdown as the record writes it: the one writer, and the report and a
//! version written with it. Blocks are separated by one blank line; a
//! numbered item's later lines are indented under it.

use draftroom_shared::Language;

use crate::meeting::report::method::{GroundLine, MethodWords, all_words};
use crate::meeting::report::words::Words;
use crate::meeting::report::{ClauseLine, Report};

/// Writes a Markdown document block by block.
pub(crate) struct Markdown {
    out: String,
}

impl Markdown {
    /// A document titled `title`.
    pub(crate) fn new(title: &str) -> Self {
        Markdown {
            out: format!("# {title}\n"),
        }
    }

    /// One blank line before the next block.
    fn block(&mut self) {
        if !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// A second-level heading.
    pub(crate) fn heading(&mut self, text: &str) {
        self.block();
        self.out.push_str(&format!("## {text}\n"));
    }

    /// A paragraph.
    pub(crate) fn paragraph(&mut self, text: &str) {
        self.block();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Lines as they are (each may be a bullet), as one block; nothing if
    /// there are none.
    pub(crate) fn lines(&mut self, lines: impl IntoIterator<Item = String>) {
        let mut lines = lines.into_iter().peekable();
        if lines.peek().is_some() {
            self.block();
        }
        for line in lines {
            self.out.push_str(&line);
            self.out.push('\n');
        }
    }

    /// A numbered list; nothing if it is empty.
    pub(crate) fn numbered(&mut self, items: impl IntoIterator<Item = String>) {
        self.lines(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| format!("{}. {}", i + 1, item.replace('\n', "\n   "))),
        );
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// A frozen version as Markdown: the meeting's title, `intro` (when and
/// by whom it was frozen), its clauses numbered, and its text's SHA-256.
pub(crate) fn version(
    title: &str,
    intro: &str,
    clauses: &[ClauseLine],
    sha256_line: &str,
) -> String {
    let mut md = Markdown::new(title);
    md.paragraph(intro);
    md.numbered(clauses.iter().map(|c| c.text.clone()));
    md.paragraph(sha256_line);
    md.finish()
}

impl Report {
    /// The report as Markdown, in `language`, in the order the meeting
    /// ran; the method's sections only where the meeting used it.
    pub fn markdown(&self, language: Language) -> String {
        let (w, m) = all_words(language);
        let method = &self.method;
        let mut md = Markdown::new(&self.title);
        md.paragraph(&w.opened(self.created_at));
        md.heading(w.present());
        md.lines(
            self.members
                .iter()
                .map(|(name, role)| format!("- {name} — {}", w.role(role))),
        );
        if !method.groups.is_empty() {
            md.heading(m.groups());
            for g in &method.groups {
                let mut head = format!("**{}** — {}", g.label, g.name);
                if !g.members.is_empty() {
                    head = format!("{head}. {}", m.members(&g.members));
                }
                md.paragraph(&head);
                md.lines(g.elements.iter().map(|e| match m.fate(&e.fate) {
                    Some(fate) => format!("- {}: {} ({fate})", e.name, e.text),
                    None => format!("- {}: {}", e.name, e.text),
                }));
            }
        }
        if !method.ground.is_empty() {
            md.heading(m.ground());
            md.paragraph(m.ground_intro());
            let line = |g: &GroundLine, m: &dyn MethodWords| {
                if g.value {
                    format!(
                        "- **{}** — {} ({})",
                        g.text,
                        m.value(),
                        g.sources.join(", ")
                    )
                } else {
                    format!("- {} ({})", g.text, g.sources.join(", "))
                }
            };
            md.lines(method.ground.iter().flat_map(|g| {
                std::iter::once(line(g, m))
                    .chain(g.nested.iter().map(|n| format!("  {}", line(n, m))))
                    .collect::<Vec<_>>()
            }));
        }
        if let Some(first) = &method.first_draft {
            md.heading(m.first_draft());
            md.lines(
                first
                    .lines()
                    .map(|l| format!("> {l}").trim_end().to_owned()),
            );
        }
        md.heading(w.amendments());
        if self.amendments.is_empty() {
            md.paragraph(w.none_proposed());
        }
        if let Some(tally) = w.tally(&self.amendments) {
            md.paragraph(&tally);
        }
        md.lines(self.amendments.iter().map(|a| w.amendment_line(a)));
        if !method.signals.is_empty() {
            md.heading(m.signals());
            md.lines(method.signals.iter().flat_map(|s| {
                std::iter::once(format!("- {}: {}", m.clause(s.clause), m.tally(&s.tally)))
                    .chain(
                        s.objections
                            .iter()
                            .map(|o| format!("  - {}", m.objection(o))),
                    )
                    .collect::<Vec<_>>()
            }));
        }
        if !method.checks.is_empty() {
            md.heading(m.checks());
            md.lines(method.checks.iter().flat_map(|c| {
                std::iter::once(format!("- {}", m.check(c, w)))
                    .chain(
                        c.objections
                            .iter()
                            .map(|o| format!("  - {}", m.objection(o))),
                    )
                    .collect::<Vec<_>>()
            }));
        }
        md.heading(self.heading_text(w));
        if let Some((n, at, _)) = &self.agreed {
            md.paragraph(&w.version_frozen(*n, *at));
        }
        md.numbered(self.clauses.iter().map(|c| c.text.clone()));
        if let Some(sha256) = self.agreed_sha256() {
            md.paragraph(&w.version_sha256(&sha256));
        }
        if let Some(reason) = &method.freeze_reason {
            md.paragraph(&m.freeze_reason(reason));
        }
        md.heading(w.who_wrote());
        md.numbered(self.clauses.iter().map(|c| self.authors_line(w, c)));
        if !method.ground.is_empty() {
            md.heading(m.map());
            md.lines(method.ground_flat().map(|g| {
                if g.clauses.is_empty() {
                    format!("- {} — {}", g.text, m.not_carried())
                } else {
                    format!("- {} → {}", g.text, m.carried(&g.clauses))
                }
            }));
        }
        md.heading(w.versions());
        if self.versions.is_empty() {
            md.paragraph(w.no_versions());
        }
        md.lines(
            self.versions
                .iter()
                .map(|v| w.version_line(v.version, v.created_at, &v.frozen_by_name, &v.sha256)),
        );
        md.finish()
    }

    /// Who wrote a clause: names and how many characters each.
    pub(crate) fn authors_line(&self, w: &dyn Words, c: &ClauseLine) -> String {
        c.authors
            .iter()
            .map(|a| format!("{} ({})", a.name, w.characters(a.characters)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn heading_text(&self, w: &dyn Words) -> &'static str {
        if self.agreed.is_some() {
            w.agreed_text()
        } else {
            w.current_draft()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_one_blank_line_apart_and_empty_lists_write_nothing() {
        let mut md = Markdown::new("Misja Krakowa");
        md.paragraph("Otwarte 1 października 2013");
        md.heading("Obecni");
        md.lines(["- Anna — moderatorka".to_owned()]);
        md.heading("Tekst");
        md.numbered([
            "Kraków — miasto\nwspółodpowiedzialne 🤝".to_owned(),
            "Drugi".to_owned(),
        ]);
        md.heading("Poprawki");
        md.lines(Vec::new());
        md.paragraph("Brak.");
        assert_eq!(
            md.finish(),
            "# Misja Krakowa\n\nOtwarte 1 października 2013\n\n## Obecni\n\n- Anna — moderatorka\n\n\
             ## Tekst\n\n1. Kraków — miasto\n   współodpowiedzialne 🤝\n2. Drugi\n\n## Poprawki\n\nBrak.\n"
        );
    }
}
