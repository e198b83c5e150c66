//! Real typing histories (Joseph Gentle's editing-traces; the
//! automerge-paper trace recorded by Martin Kleppmann; CC BY 4.0): the
//! sequential format, `{"startContent","endContent","txns":[{"patches":
//! [[pos, del, ins], …]}]}`, positions in Unicode scalar values.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// One edit: at `pos` (chars), delete `del` chars, insert `ins`.
#[derive(Debug, Clone)]
pub struct Patch {
    /// Position in chars.
    pub pos: usize,
    /// Chars deleted.
    pub del: usize,
    /// Text inserted.
    pub ins: String,
}

/// A whole trace.
pub struct Trace {
    /// The text before the first edit.
    pub start: String,
    /// The text after the last edit.
    pub end: String,
    /// The edits, in order.
    pub patches: Vec<Patch>,
}

/// Reads a `.json.gz` trace.
pub fn load(path: &Path) -> anyhow::Result<Trace> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json)?;
    let v: serde_json::Value = serde_json::from_str(&json)?;
    let mut patches = Vec::new();
    for txn in v["txns"].as_array().context("txns")? {
        for p in txn["patches"].as_array().context("patches")? {
            patches.push(Patch {
                pos: p[0].as_u64().context("pos")? as usize,
                del: p[1].as_u64().context("del")? as usize,
                ins: p[2].as_str().context("ins")?.to_owned(),
            });
        }
    }
    Ok(Trace {
        start: v["startContent"].as_str().unwrap_or("").to_owned(),
        end: v["endContent"].as_str().context("endContent")?.to_owned(),
        patches,
    })
}
