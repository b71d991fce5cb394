//! The layer order, read from the source: every `crate::…` and `super::…` path of every
//! file under `src/`. Lowest first:
//!
//! ```text
//! config → db → domain → models, mail → error, ops → state → auth → csv_io, seed → web → startup → cli
//! ```
//!
//! A module may use only modules below it (models and mail, on one level, not each
//! other; domain not db either), and no files may use each other in a cycle. No import
//! breaks the order today, so `KNOWN` is empty; an exception would have to be listed
//! there with the landing that removes it (an unlisted break fails, and so does a listed
//! one that is gone, so the list only shrinks).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first; modules on one level share a number.
const LEVELS: &[(&str, u8)] = &[
    ("config", 0),
    ("db", 1),
    ("domain", 2),
    ("models", 3),
    ("mail", 3),
    ("error", 4),
    ("ops", 4),
    ("state", 5),
    ("auth", 6),
    ("csv_io", 7),
    ("seed", 7),
    ("web", 8),
    ("startup", 9),
    ("cli", 10),
];

/// Pairs kept apart although the order would let the first use the second: the domain's
/// values know nothing of storage.
const APART: &[(&str, &str)] = &[("domain", "db")];

/// Imports against the order that are known and scheduled to go: (from, to, why).
const KNOWN: &[(&str, &str, &str)] = &[];

fn level(module: &str) -> Option<u8> {
    LEVELS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: `src/models/grant.rs` → ["models", "grant"], `mod.rs` → its
/// folder's.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The paths a file names: `crate::a::b…` and `super::x…` (resolved against the file).
fn named_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", module[..module.len().saturating_sub(1)].to_vec()),
    ] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let mut path = base.clone();
            for seg in rest.split("::").take(8) {
                let name: String = seg
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if name.is_empty() {
                    break;
                }
                path.push(name.clone());
                if name.len() != seg.len() {
                    break;
                }
            }
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

/// The longest prefix of `path` that is a file of the crate.
fn resolve(files: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| files.contains(p))
}

#[test]
fn no_module_imports_one_above_it_and_no_files_import_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: BTreeSet<Vec<String>> = paths.iter().map(|p| module_of(&src, p)).collect();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut breaks: BTreeMap<(String, String), String> = BTreeMap::new();
    for file in &paths {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        for path in named_paths(&module, &text) {
            let Some(target) = resolve(&files, &path) else {
                continue;
            };
            if target == module || module.is_empty() {
                continue;
            }
            let (from, to) = (&module[0], &target[0]);
            if from != to {
                let apart = APART.contains(&(from.as_str(), to.as_str()));
                match (level(from), level(to)) {
                    (Some(a), Some(b)) if b < a && !apart => {}
                    (Some(_), Some(_)) => {
                        breaks
                            .entry((from.clone(), to.clone()))
                            .or_insert_with(|| file.display().to_string());
                    }
                    _ => {}
                }
            }
            edges.insert(target);
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(a, b, _)| (a.to_string(), b.to_string()))
        .collect();
    let unexpected: Vec<String> = breaks
        .iter()
        .filter(|(k, _)| !known.contains(*k))
        .map(|((a, b), file)| format!("{a} uses {b} (first in {file})"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "imports against the layer order: {unexpected:#?}"
    );
    let gone: Vec<&(String, String)> = known.iter().filter(|k| !breaks.contains_key(*k)).collect();
    assert!(
        gone.is_empty(),
        "no longer broken, take them off KNOWN: {gone:?}"
    );
    // No cycle among files: a depth-first search finds no edge back to a file on its
    // current path.
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied() {
                Some(1) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    return Some(stack[from..].iter().map(|n| n.join("::")).collect());
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            let cycle = visit(node, &graph, &mut state, &mut Vec::new());
            assert!(cycle.is_none(), "files that use each other: {cycle:?}");
        }
    }
}

#[test]
fn the_layer_check_reads_paths_as_rust_names_them() {
    let module = vec!["models".to_owned(), "grant".to_owned()];
    let text = "use crate::db::schema::{a, b};\nuse super::license_manager::OWNER;\nx.kcrate::no";
    assert_eq!(
        named_paths(&module, text),
        vec![
            vec!["db".to_owned(), "schema".to_owned()],
            vec!["models".to_owned(), "license_manager".to_owned()],
        ]
    );
}

#[test]
fn every_refusal_names_a_stable_snake_case_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut codes = BTreeSet::new();
    for file in &paths {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("ModelError::refused(") {
            let rest = &text[at + "ModelError::refused(".len()..];
            let rest = rest.trim_start();
            assert!(
                rest.starts_with('"'),
                "{}: a refusal's code is a literal",
                file.display()
            );
            let code: String = rest[1..].chars().take_while(|c| *c != '"').collect();
            assert!(
                !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}: code {code:?} is not snake_case",
                file.display()
            );
            codes.insert(code);
        }
    }
    assert!(codes.len() > 30, "{} codes", codes.len());
}
