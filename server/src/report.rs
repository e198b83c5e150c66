//! The meeting report, in Markdown and in printable HTML: it reads like the
//! record of a workshop (who met, what was agreed, who wrote it, which
//! proposals were made and what became of them, the versions).

use serde::Serialize;
use uuid::Uuid;

/// A member's share of a clause.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorShare {
    /// The member (None: unbound client).
    pub user_id: Option<Uuid>,
    /// Their name.
    pub name: String,
    /// Characters (Unicode scalar values) of the clause they wrote.
    pub characters: u32,
}

/// One clause with its authors.
#[derive(Debug, Clone, Serialize)]
pub struct ClauseLine {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Who wrote it, most first.
    pub authors: Vec<AuthorShare>,
}

/// One amendment as reported.
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

/// One version as listed.
#[derive(Debug, Clone, Serialize)]
pub struct VersionLine {
    /// Its number.
    pub version: u32,
    /// When it was frozen.
    pub created_at: i64,
    /// Who froze it.
    pub frozen_by: Uuid,
    /// Their name.
    pub frozen_by_name: String,
    /// SHA-256 of its text.
    pub sha256: String,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// The meeting's title.
    pub title: String,
    /// When it was created.
    pub created_at: i64,
    /// Members in order of joining: name and role.
    pub members: Vec<(String, &'static str)>,
    /// Whether the draft is frozen now.
    pub frozen: bool,
    /// The latest version: number, time, text (None: nothing frozen yet).
    pub agreed: Option<(u32, i64, String)>,
    /// The clauses reported (of the latest version, else of the draft).
    pub clauses: Vec<ClauseLine>,
    /// The amendments, oldest first.
    pub amendments: Vec<AmendmentLine>,
    /// The versions, oldest first.
    pub versions: Vec<VersionLine>,
}

/// `YYYY-MM-DD HH:MM UTC` for ms since the epoch.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

fn role_label(role: &str) -> &'static str {
    match role {
        "moderator" => "moderator",
        "editor" => "editor",
        "participant" => "participant",
        _ => "observer",
    }
}

fn authors_line(c: &ClauseLine) -> String {
    c.authors
        .iter()
        .map(|a| format!("{} ({} characters)", a.name, a.characters))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report {
    fn heading_text(&self) -> &'static str {
        if self.agreed.is_some() {
            "Agreed text"
        } else {
            "Current draft (not yet frozen)"
        }
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("# {}\n\n", self.title));
        out.push_str(&format!(
            "Record of the drafting meeting opened on {}.\n\n",
            format_time(self.created_at)
        ));
        out.push_str("## Present\n\n");
        for (name, role) in &self.members {
            out.push_str(&format!("- {name} — {}\n", role_label(role)));
        }
        out.push_str(&format!("\n## {}\n\n", self.heading_text()));
        if let Some((n, at, _)) = &self.agreed {
            out.push_str(&format!("Version {n}, frozen {}.\n\n", format_time(*at)));
        }
        for (i, c) in self.clauses.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, c.text.replace('\n', "\n   ")));
        }
        out.push_str("\n## Who wrote each clause\n\n");
        for (i, c) in self.clauses.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, authors_line(c)));
        }
        out.push_str("\n## Amendments\n\n");
        if self.amendments.is_empty() {
            out.push_str("None were proposed.\n");
        }
        for a in &self.amendments {
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
                .map(|t| format!(" on {}", format_time(t)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- {} proposed for {clause}: “{}” — {supporters}; {}{when}.\n",
                a.author, a.text, a.status
            ));
        }
        out.push_str("\n## Versions\n\n");
        if self.versions.is_empty() {
            out.push_str("No version has been frozen yet.\n");
        }
        for v in &self.versions {
            out.push_str(&format!(
                "- Version {}: frozen {} by {}; SHA-256 `{}`\n",
                v.version,
                format_time(v.created_at),
                v.frozen_by_name,
                v.sha256
            ));
        }
        out
    }

    /// The report as a standalone HTML page that prints cleanly.
    pub fn html(&self) -> String {
        let e = escape;
        let mut body = String::new();
        body.push_str(&format!("<h1>{}</h1>\n", e(&self.title)));
        body.push_str(&format!(
            "<p class=meta>Record of the drafting meeting opened on {}.</p>\n",
            e(&format_time(self.created_at))
        ));
        body.push_str("<h2>Present</h2>\n<ul>\n");
        for (name, role) in &self.members {
            body.push_str(&format!("<li>{} — {}</li>\n", e(name), role_label(role)));
        }
        body.push_str("</ul>\n");
        body.push_str(&format!("<h2>{}</h2>\n", self.heading_text()));
        if let Some((n, at, _)) = &self.agreed {
            body.push_str(&format!(
                "<p class=meta>Version {n}, frozen {}.</p>\n",
                e(&format_time(*at))
            ));
        }
        body.push_str("<ol class=agreed>\n");
        for c in &self.clauses {
            body.push_str(&format!(
                "<li><p>{}</p><p class=authors>Written by {}</p></li>\n",
                e(&c.text).replace('\n', "<br>"),
                e(&authors_line(c))
            ));
        }
        body.push_str("</ol>\n<h2>Amendments</h2>\n");
        if self.amendments.is_empty() {
            body.push_str("<p>None were proposed.</p>\n");
        } else {
            body.push_str("<table><thead><tr><th>Clause</th><th>Proposed by</th><th>Wording</th><th>Supported by</th><th>Outcome</th></tr></thead><tbody>\n");
            for a in &self.amendments {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class={}>{}</td></tr>\n",
                    a.clause.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                    e(&a.author),
                    e(&a.text),
                    e(&a.supporters.join(", ")),
                    a.status,
                    a.status
                ));
            }
            body.push_str("</tbody></table>\n");
        }
        body.push_str("<h2>Versions</h2>\n");
        if self.versions.is_empty() {
            body.push_str("<p>No version has been frozen yet.</p>\n");
        } else {
            body.push_str("<table><thead><tr><th>Version</th><th>Frozen</th><th>By</th><th>SHA-256</th></tr></thead><tbody>\n");
            for v in &self.versions {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=hash>{}</td></tr>\n",
                    v.version,
                    e(&format_time(v.created_at)),
                    e(&v.frozen_by_name),
                    e(&v.sha256)
                ));
            }
            body.push_str("</tbody></table>\n");
        }
        format!(
            "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            e(&self.title)
        )
    }
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
td.hash { font-family: monospace; font-size: .75rem; word-break: break-all; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr, li { break-inside: avoid; } }
";

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
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
    fn times_are_civil_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        // 2013-10-01 10:30 UTC, the Kraków workshop's day.
        assert_eq!(format_time(1_380_623_400_000), "2013-10-01 10:30 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn html_escapes_what_people_type() {
        assert_eq!(
            escape("<b>\"Ż&ó\"</b>"),
            "&lt;b&gt;&quot;Ż&amp;ó&quot;&lt;/b&gt;"
        );
    }
}
