//! The server's modules form layers with no import circle, folders
//! included: each folder uses only the folders below it, and within a
//! folder no two files use each other, directly or round about. Read from
//! the sources (`crate::…` and `super::…` paths and a folder's `pub use` of
//! its own files), not counting comments or the unit tests at the bottom
//! of a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The folders (and top-level files) from the bottom up. A folder may use
/// those of a lower rank only.
const LAYERS: &[(&str, u8)] = &[
    ("clock", 0),
    ("config", 0),
    ("rate", 0),
    ("cli", 1),
    ("secrets", 1),
    ("room", 1),
    ("store", 2),
    ("cluster", 3),
    ("meeting", 4),
    ("http", 5),
];

/// What the sans-IO folder must not name.
const ROOM_MUST_NOT_USE: &[&str] = &["tokio::", "axum::", "hyper::", "crate::store"];

/// What only the edge (`http`) names.
const EDGE_ONLY: &[&str] = &["axum::", "hyper::", "tokio_tungstenite::"];

/// Every source file as (module path, text without its unit tests).
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("readable src") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            let mut module = prefix.to_vec();
            if !matches!(stem, "mod" | "lib" | "main") {
                module.push(stem.to_owned());
            }
            // A file of tests (`moved/tests.rs`) is tests throughout, and
            // the fuzz targets' bodies drive the whole server from above,
            // as the crate root does.
            if matches!(stem, "tests" | "main" | "fuzzing" | "testing") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable file");
            let code = match text.find("\n#[cfg(test)]\nmod tests") {
                Some(i) => &text[..i],
                None => &text,
            };
            // Comments may name any module; code is what uses one.
            let text: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            out.insert(module.join("::"), text);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The module a path names: its longest prefix that is a module, else
/// the crate root (an item of `lib.rs`).
fn resolve(path: &[&str], modules: &BTreeMap<String, String>) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains_key(m))
        .or(Some(String::new()))
}

/// The paths after `prefix` in `text`: `crate::a::b::{c, d}` gives a::b.
fn paths_after<'t>(text: &'t str, prefix: &str) -> Vec<Vec<&'t str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        out.push(path);
    }
    out
}

/// Which modules each module uses.
fn uses(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (module, text) in modules {
        let here: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let mut used = BTreeSet::new();
        for path in paths_after(text, "crate::") {
            used.extend(resolve(&path, modules));
        }
        // `super::x` in `a::b` names `a::x`, whether `a::b` is a file or a
        // folder's `mod.rs`.
        for path in paths_after(text, "super::") {
            let base = &here[..here.len().saturating_sub(1)];
            let full: Vec<&str> = base.iter().copied().chain(path).collect();
            used.extend(resolve(&full, modules));
        }
        // A folder's `pub use child::X` uses its own file `child`.
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line
                .strip_prefix("pub use ")
                .or_else(|| line.strip_prefix("use "))
            {
                let first = rest.split("::").next().unwrap_or("");
                let child = if module.is_empty() {
                    first.to_owned()
                } else {
                    format!("{module}::{first}")
                };
                if modules.contains_key(&child) {
                    used.insert(child);
                }
            }
        }
        used.remove(module);
        graph.insert(module.clone(), used);
    }
    graph
}

/// A circle in `graph`, if any, as the modules along it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|m| m == next).unwrap();
                    let mut found = stack[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(_) => {}
                None => {
                    if let Some(found) = visit(next, graph, state, stack) {
                        return Some(found);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str())
            && let Some(found) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(found);
        }
    }
    None
}

fn folder(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

#[test]
fn modules_use_no_module_that_uses_them() {
    let modules = sources();
    assert!(modules.len() > 30, "the sources were found: {modules:?}");
    let graph = uses(&modules);
    // The crate root wires everything together and is used by nothing.
    let using_root: Vec<&String> = graph
        .iter()
        .filter(|(m, used)| !m.is_empty() && used.contains(""))
        .map(|(m, _)| m)
        .collect();
    assert!(using_root.is_empty(), "use the crate root: {using_root:?}");
    if let Some(found) = circle(&graph) {
        panic!("an import circle: {}", found.join(" → "));
    }
}

#[test]
fn folders_use_only_the_folders_below_them() {
    let modules = sources();
    let rank: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, used) in uses(&modules) {
        if module.is_empty() {
            continue;
        }
        let from = folder(&module);
        let Some(&from_rank) = rank.get(from) else {
            wrong.push(format!("{module} is in no layer"));
            continue;
        };
        for other in used {
            let to = folder(&other);
            if to == from {
                continue;
            }
            match rank.get(to) {
                Some(&to_rank) if to_rank < from_rank => {}
                _ => wrong.push(format!("{module} uses {other}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "uses against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_room_folder_does_no_io() {
    let mut wrong = Vec::new();
    for (module, text) in sources() {
        if folder(&module) != "room" {
            continue;
        }
        for name in ROOM_MUST_NOT_USE {
            if text.contains(name) {
                wrong.push(format!("{module} uses {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_the_edge_speaks_http() {
    let mut wrong = Vec::new();
    for (module, text) in sources() {
        if module.is_empty() || folder(&module) == "http" {
            continue;
        }
        for name in EDGE_ONLY {
            if text.contains(name) {
                wrong.push(format!("{module} uses {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(circle(&acyclic), None);
}
