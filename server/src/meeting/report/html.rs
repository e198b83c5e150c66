//! The meeting report as a standalone HTML page that prints cleanly.

use draftroom_shared::Language;

use crate::meeting::report::Report;
use crate::meeting::report::method::{GroundLine, MethodWords, Objection, all_words};

impl Report {
    /// The report as a standalone HTML page in `language` that prints
    /// cleanly; no script, and its body reads well without its style (a
    /// web app may take the body alone into its own page).
    pub fn html(&self, language: Language) -> String {
        let (w, m) = all_words(language);
        let method = &self.method;
        let e = escape;
        let mut body = String::new();
        body.push_str(&format!("<h1>{}</h1>\n", e(&self.title)));
        body.push_str(&format!(
            "<p class=meta>{}</p>\n",
            e(&w.opened(self.created_at))
        ));
        body.push_str(&format!("<h2>{}</h2>\n<ul>\n", w.present()));
        for (name, role) in &self.members {
            body.push_str(&format!("<li>{} — {}</li>\n", e(name), w.role(role)));
        }
        body.push_str("</ul>\n");
        if !method.groups.is_empty() {
            body.push_str(&format!("<h2>{}</h2>\n", m.groups()));
            for g in &method.groups {
                body.push_str(&format!("<h3>{} — {}</h3>\n", e(&g.label), e(&g.name)));
                if !g.members.is_empty() {
                    body.push_str(&format!(
                        "<p class=meta>{}</p>\n",
                        e(&m.members(&g.members))
                    ));
                }
                body.push_str("<ul class=elements>\n");
                for el in &g.elements {
                    let fate = m
                        .fate(&el.fate)
                        .map(|f| format!(" <span class=meta>({})</span>", e(&f)))
                        .unwrap_or_default();
                    body.push_str(&format!(
                        "<li><b class=name>{}</b> {}{fate}</li>\n",
                        e(&el.name),
                        e(&el.text)
                    ));
                }
                body.push_str("</ul>\n");
            }
        }
        if !method.ground.is_empty() {
            body.push_str(&format!(
                "<h2>{}</h2>\n<p class=meta>{}</p>\n<ul class=ground>\n",
                m.ground(),
                m.ground_intro()
            ));
            for g in &method.ground {
                body.push_str(&format!("<li>{}", ground_item(g, m)));
                if !g.nested.is_empty() {
                    body.push_str("<ul>\n");
                    for n in &g.nested {
                        body.push_str(&format!("<li>{}</li>\n", ground_item(n, m)));
                    }
                    body.push_str("</ul>");
                }
                body.push_str("</li>\n");
            }
            body.push_str("</ul>\n");
        }
        if let Some(first) = &method.first_draft {
            body.push_str(&format!(
                "<h2>{}</h2>\n<blockquote>{}</blockquote>\n",
                m.first_draft(),
                first
                    .split("\n\n")
                    .map(|p| format!("<p>{}</p>", e(p).replace('\n', "<br>")))
                    .collect::<String>()
            ));
        }
        body.push_str(&format!("<h2>{}</h2>\n", w.amendments()));
        if self.amendments.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", w.none_proposed()));
        } else {
            if let Some(tally) = w.tally(&self.amendments) {
                body.push_str(&format!("<p>{}</p>\n", e(&tally)));
            }
            body.push_str(&format!(
                "<table><thead>{}</thead><tbody>\n",
                header_row(&w.amendment_columns())
            ));
            for a in &self.amendments {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class={}>{}</td></tr>\n",
                    a.clause.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                    e(&a.author),
                    e(&a.text),
                    e(&a.supporters.join(", ")),
                    a.status,
                    w.status(a.status)
                ));
            }
            body.push_str("</tbody></table>\n");
        }
        if !method.signals.is_empty() {
            body.push_str(&format!("<h2>{}</h2>\n<ul>\n", m.signals()));
            for s in &method.signals {
                body.push_str(&format!(
                    "<li>{}: {}{}</li>\n",
                    e(&m.clause(s.clause)),
                    e(&m.tally(&s.tally)),
                    objections(&s.objections, m)
                ));
            }
            body.push_str("</ul>\n");
        }
        if !method.checks.is_empty() {
            body.push_str(&format!("<h2>{}</h2>\n<ul>\n", m.checks()));
            for c in &method.checks {
                body.push_str(&format!(
                    "<li>{}{}</li>\n",
                    e(&m.check(c, w)),
                    objections(&c.objections, m)
                ));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&format!("<h2>{}</h2>\n", self.heading_text(w)));
        if let Some((n, at, _)) = &self.agreed {
            body.push_str(&format!(
                "<p class=meta>{}</p>\n",
                e(&w.version_frozen(*n, *at))
            ));
        }
        body.push_str("<ol class=agreed>\n");
        for c in &self.clauses {
            body.push_str(&format!(
                "<li><p>{}</p><p class=authors>{} {}</p></li>\n",
                e(&c.text).replace('\n', "<br>"),
                w.written_by(),
                e(&self.authors_line(w, c))
            ));
        }
        body.push_str("</ol>\n");
        if let Some(sha256) = self.agreed_sha256() {
            body.push_str(&format!(
                "<p class=hash>{}</p>\n",
                e(&w.version_sha256(&sha256).replace('`', ""))
            ));
        }
        if let Some(reason) = &method.freeze_reason {
            body.push_str(&format!(
                "<p class=reason>{}</p>\n",
                e(&m.freeze_reason(reason))
            ));
        }
        if !method.ground.is_empty() {
            body.push_str(&format!("<h2>{}</h2>\n<ul>\n", m.map()));
            for g in method.ground_flat() {
                let place = if g.clauses.is_empty() {
                    format!(" — <span class=missing>{}</span>", m.not_carried())
                } else {
                    format!(" → {}", e(&m.carried(&g.clauses)))
                };
                body.push_str(&format!("<li>{}{place}</li>\n", e(&g.text)));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&format!("<h2>{}</h2>\n", w.versions()));
        if self.versions.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", w.no_versions()));
        } else {
            body.push_str(&format!(
                "<table><thead>{}</thead><tbody>\n",
                header_row(&w.version_columns())
            ));
            for v in &self.versions {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=hash>{}</td></tr>\n",
                    v.version,
                    e(&w.time(v.created_at)),
                    e(&v.frozen_by_name),
                    e(&v.sha256)
                ));
            }
            body.push_str("</tbody></table>\n");
        }
        format!(
            "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=utf-8>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            w.lang(),
            e(&self.title)
        )
    }
}

/// An element of the common ground: a value in bold, with its sources.
fn ground_item(g: &GroundLine, m: &dyn MethodWords) -> String {
    let sources = escape(&g.sources.join(", "));
    if g.value {
        format!(
            "<b>{}</b> — {} <span class=meta>({sources})</span>",
            escape(&g.text),
            m.value()
        )
    } else {
        format!("{} <span class=meta>({sources})</span>", escape(&g.text))
    }
}

/// Disagreements and blocks under a line, named with their reasons.
fn objections(list: &[Objection], m: &dyn MethodWords) -> String {
    if list.is_empty() {
        return String::new();
    }
    let items: String = list
        .iter()
        .map(|o| format!("<li>{}</li>", escape(&m.objection(o))))
        .collect();
    format!("<ul>{items}</ul>")
}

/// A table's header row.
fn header_row(columns: &[&str]) -> String {
    let cells: String = columns.iter().map(|c| format!("<th>{c}</th>")).collect();
    format!("<tr>{cells}</tr>")
}

const STYLE: &str = "
body { font: 16px/1.5 Georgia, 'Times New Roman', serif; color: #111; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 1.8rem; border-bottom: 1px solid #ccc; }
.meta, .authors { color: #555; font-size: .9rem; }
ol.agreed li { margin-bottom: .8rem; }
ol.agreed p { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .4rem; border-bottom: 1px solid #ddd; }
td.accepted { color: #1a7f37; } td.rejected { color: #b3261e; }
td.hash, p.hash { font-family: monospace; font-size: .75rem; word-break: break-all; }
h3 { font-size: 1rem; margin: 1rem 0 .2rem; }
blockquote { margin: 0 0 0 1rem; padding-left: 1rem; border-left: 3px solid #ccc; }
.missing { color: #b3261e; }
p.reason { border-left: 3px solid #b3261e; padding-left: .6rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr, li { break-inside: avoid; } }
";

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_people_type() {
        assert_eq!(
            escape("<b>\"Ż&ó\"</b>"),
            "&lt;b&gt;&quot;Ż&amp;ó&quot;&lt;/b&gt;"
        );
    }
}
