//! The one-way arrows between the layers (docs/ARCHITECTURE.md), read from the source:
//!
//! ```text
//! web, CLI (main.rs), jobs  ->  services  ->  engine  ->  domain
//!                                  |            |
//!                                  v            v
//!                    db, search (tantivy), refdata, mail   (adapters)
//! ```
//!
//! Each room names the rooms it must not import (`RULES`), and no two files may import each
//! other through any path (an import circle). The graph is built from the `crate::` paths of
//! `src/` (file level, unit tests left out), as `../shared/tools/modgraph.py` does. An arrow or a
//! circle added against them fails here, with the file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (room, what it must not name). A room is a path prefix under `src/`.
const RULES: &[(&str, &[&str])] = &[
    // The pure rules: no framework, no storage, nothing above them.
    (
        "domain/",
        &[
            "actix",
            "diesel",
            "tantivy",
            "crate::db",
            "crate::engine",
            "crate::refdata",
            "crate::search",
            "crate::service",
            "crate::state",
            "crate::web",
            "crate::mail",
            "crate::jobs",
            "crate::audit",
            "crate::auth",
            "crate::journal",
            "crate::monitor",
        ],
    ),
    (
        "engine/matching/",
        &[
            "actix",
            "diesel",
            "tantivy",
            "crate::db",
            "crate::search",
            "crate::refdata",
            "crate::service",
            "crate::state",
            "crate::web",
            "crate::mail",
            "crate::jobs",
            "crate::audit",
            "crate::journal",
        ],
    ),
    // The engine: below the services, above the adapters.
    (
        "engine/",
        &["actix", "crate::service", "crate::state", "crate::web", "crate::jobs", "crate::mail", "crate::audit", "crate::auth", "crate::journal"],
    ),
    // The adapters: the tantivy index, the reference data, the database.
    (
        "search/",
        &["actix", "crate::engine", "crate::service", "crate::state", "crate::web", "crate::jobs", "crate::mail", "crate::audit", "crate::auth"],
    ),
    ("refdata/", &["actix", "crate::engine", "crate::search", "crate::service", "crate::state", "crate::web", "crate::jobs", "crate::mail"]),
    (
        "db/",
        &["actix", "crate::engine", "crate::search", "crate::refdata", "crate::service", "crate::state", "crate::web", "crate::jobs", "crate::mail"],
    ),
    ("mail/", &["actix", "crate::engine", "crate::search", "crate::service", "crate::state", "crate::web", "crate::jobs"]),
    ("auth/", &["actix", "crate::db", "crate::service", "crate::state", "crate::web", "crate::audit"]),
    // Handlers parse, call a service and render: no tables, no audit rows of their own.
    ("web/", &["crate::db::schema", "audit::one(", "audit::record(", "audit::entries("]),
    ("service/", &["crate::web"]),
    ("jobs/", &["crate::web"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its unit tests and comments, line by line.
fn code_lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = vec![];
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").to_string();
        if code.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        out.push(code);
    }
    out
}

/// The module of a file under `src/`: `engine/ranking.rs` is ["engine", "ranking"],
/// `engine/mod.rs` ["engine"], `lib.rs` and `main.rs` [].
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// `crate::a::b::c` paths and `use crate::a::{b, c}` groups of a text.
/// Whether a line calls or imports a function of `db::queries` (lower-case names; the row types
/// are upper case).
fn calls_a_query(code: &str) -> bool {
    code.match_indices("db::queries::").any(|(j, m)| {
        let rest = &code[j + m.len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(list) => list.split('}').next().unwrap_or("").split(',').map(str::trim).collect(),
            None => vec![rest],
        };
        names.iter().any(|n| n.starts_with(|c: char| c.is_ascii_lowercase()) && !n.starts_with("self"))
    })
}

fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + 7..];
        let end = after.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(after.len());
        let path = &after[..end];
        let segs: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
        if after[end..].starts_with('{') {
            let inner = &after[end + 1..after[end..].find('}').map(|j| end + j).unwrap_or(after.len())];
            for item in inner.split(',') {
                let item = item.split(" as ").next().unwrap_or("").trim();
                let mut p = segs.clone();
                if !item.is_empty() && item != "self" {
                    p.extend(item.split("::").map(String::from));
                }
                out.push(p);
            }
        } else {
            out.push(segs);
        }
        rest = &after[end..];
    }
    out
}

struct Source {
    files: Vec<(String, PathBuf)>,
}

impl Source {
    fn read(root: &Path) -> Source {
        let src = root.join("src");
        let mut paths = vec![];
        rust_files(&src, &mut paths);
        paths.sort();
        let files = paths.into_iter().map(|p| (p.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/"), p)).collect();
        Source { files }
    }

    /// Lines against `RULES` and against "nothing below the web layer imports it".
    fn arrows_against_the_layers(&self) -> Vec<String> {
        let mut bad = vec![];
        for (rel, path) in &self.files {
            let mut forbidden: Vec<&str> = vec![];
            // The binary and the app factory wire the web layer in; everything else is below it.
            if !rel.starts_with("web/") && rel != "lib.rs" && rel != "main.rs" {
                forbidden.extend(["crate::web", "super::web"]);
            }
            let room = |prefix: &str| {
                rel.starts_with(prefix) || format!("{rel}/").starts_with(prefix) || rel.trim_end_matches(".rs") == prefix.trim_end_matches('/')
            };
            // The most specific room's rule applies (engine/matching/ before engine/).
            if let Some((_, f)) = RULES.iter().find(|(prefix, _)| room(prefix)) {
                forbidden.extend(f.iter());
            }
            for (i, code) in code_lines(path).iter().enumerate() {
                // Handlers call services: the web layer may name the query row types, not run
                // the named queries itself.
                if rel.starts_with("web/") && calls_a_query(code) {
                    bad.push(format!("src/{rel}:{}: {} (a db::queries function)", i + 1, code.trim()));
                }
                for f in &forbidden {
                    let hit = if f.starts_with("crate::") {
                        code.match_indices(f).any(|(j, _)| !code[j + f.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
                    } else {
                        code.contains(f)
                    };
                    if hit {
                        bad.push(format!("src/{rel}:{}: {} ({f})", i + 1, code.trim()));
                    }
                }
            }
        }
        bad.sort();
        bad.dedup();
        bad
    }

    /// The file-level import graph.
    fn graph(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let modules: BTreeSet<Vec<String>> = self.files.iter().map(|(rel, _)| module_of(rel)).collect();
        let mut g = BTreeMap::new();
        for (rel, path) in &self.files {
            let m = module_of(rel);
            let text = code_lines(path).join("\n");
            let mut to = BTreeSet::new();
            for segs in crate_paths(&text) {
                let target = (1..=segs.len()).rev().map(|k| segs[..k].to_vec()).find(|p| modules.contains(p));
                if let Some(t) = target {
                    if t != m && !t.is_empty() {
                        to.insert(t);
                    }
                }
            }
            g.insert(m, to);
        }
        g
    }

    /// Groups of files that import each other through some path (strongly connected
    /// components of more than one file; Tarjan).
    fn circles(&self) -> Vec<Vec<String>> {
        let g = self.graph();
        let nodes: Vec<&Vec<String>> = g.keys().collect();
        let index_of: BTreeMap<&Vec<String>, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let edges: Vec<Vec<usize>> = nodes.iter().map(|n| g[*n].iter().filter_map(|t| index_of.get(t).copied()).collect()).collect();
        struct Tarjan<'a> {
            edges: &'a [Vec<usize>],
            index: Vec<Option<usize>>,
            low: Vec<usize>,
            stack: Vec<usize>,
            on: Vec<bool>,
            next: usize,
            out: Vec<Vec<usize>>,
        }
        impl Tarjan<'_> {
            fn visit(&mut self, v: usize) {
                self.index[v] = Some(self.next);
                self.low[v] = self.next;
                self.next += 1;
                self.stack.push(v);
                self.on[v] = true;
                for &w in &self.edges[v] {
                    match self.index[w] {
                        None => {
                            self.visit(w);
                            self.low[v] = self.low[v].min(self.low[w]);
                        }
                        Some(iw) if self.on[w] => self.low[v] = self.low[v].min(iw),
                        Some(_) => {}
                    }
                }
                if Some(self.low[v]) == self.index[v] {
                    let mut group = vec![];
                    while let Some(w) = self.stack.pop() {
                        self.on[w] = false;
                        group.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if group.len() > 1 {
                        self.out.push(group);
                    }
                }
            }
        }
        let n = nodes.len();
        let mut t = Tarjan { edges: &edges, index: vec![None; n], low: vec![0; n], stack: vec![], on: vec![false; n], next: 0, out: vec![] };
        for v in 0..n {
            if t.index[v].is_none() {
                t.visit(v);
            }
        }
        let mut out: Vec<Vec<String>> = t.out.iter().map(|grp| grp.iter().map(|&i| nodes[i].join("/")).collect()).collect();
        for c in &mut out {
            c.sort();
        }
        out.sort();
        out
    }
}

#[test]
fn imports_go_one_way_down_the_layers_without_circles() {
    let src = Source::read(Path::new(env!("CARGO_MANIFEST_DIR")));
    let bad = src.arrows_against_the_layers();
    assert!(bad.is_empty(), "imports against the layers (see docs/ARCHITECTURE.md):\n{}", bad.join("\n"));
    let circles = src.circles();
    assert!(circles.is_empty(), "import circles:\n{}", circles.iter().map(|c| c.join(" <-> ")).collect::<Vec<_>>().join("\n"));
    // The graph is really read: the web layer imports the services, and the engine the index.
    let g = src.graph();
    let s = |p: &str| p.split('/').map(String::from).collect::<Vec<_>>();
    assert!(g[&s("web/api/proposals")].contains(&s("service/proposals")));
    assert!(g[&s("engine/ranking")].contains(&s("search/query")));
}

#[test]
fn the_layer_check_finds_an_arrow_against_the_layers_and_a_circle() {
    // A copy of the tree's shape: a service importing the web layer, a rule importing diesel,
    // the index importing the engine, and two services importing each other.
    let tmp = tempfile::tempdir().unwrap();
    for sub in ["service", "domain", "search", "engine", "web"] {
        std::fs::create_dir_all(tmp.path().join("src").join(sub)).unwrap();
    }
    let w = |p: &str, s: &str| std::fs::write(tmp.path().join("src").join(p), s).unwrap();
    w("lib.rs", "pub mod service; pub mod domain; pub mod search; pub mod engine; pub mod web;\n");
    w("service/x.rs", "use crate::web::extract::JsonBody; // upward\nuse crate::service::y::Y;\n");
    w("service/y.rs", "pub struct Y;\nfn f() { crate::service::x::g(); }\n");
    w("domain/z.rs", "use diesel::prelude::*;\n");
    w("search/mod.rs", "use crate::engine::Engine;\n");
    w("engine/mod.rs", "pub struct Engine;\n");
    w("web/extract.rs", "pub struct JsonBody;\n");
    w("web/page.rs", "use crate::db::queries::{PlacementFull, placement_full};\nfn f() { crate::db::queries::PlacementFull::x(); }\n");
    let src = Source::read(tmp.path());
    let bad = src.arrows_against_the_layers();
    assert_eq!(bad.len(), 4, "{bad:?}");
    assert!(bad[3].starts_with("src/web/page.rs:1") && bad[3].contains("(a db::queries function)"), "{bad:?}");
    assert!(bad[0].starts_with("src/domain/z.rs:1") && bad[0].contains("(diesel)"), "{bad:?}");
    assert!(bad[1].starts_with("src/search/mod.rs:1") && bad[1].contains("(crate::engine)"), "{bad:?}");
    assert!(bad[2].starts_with("src/service/x.rs:1") && bad[2].contains("(crate::web)"), "{bad:?}");
    assert_eq!(src.circles(), vec![vec!["service/x".to_string(), "service/y".to_string()]]);
}

/// A page handler reads the user before its form: a form sent with an expired session is then
/// kept for after the login (`web::pages::pending`, which takes the body in `PageUser`) instead
/// of being read, and refused, as an empty form.
#[test]
fn page_handlers_take_the_user_before_the_form() {
    let mut files = vec![];
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/pages"), &mut files);
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for sig in text.split("async fn ").skip(1) {
            let Some(end) = sig.find("->") else { continue };
            let params = &sig[..end];
            if let (Some(u), Some(form)) = (params.find("PageUser"), params.find("CheckedForm")) {
                checked += 1;
                assert!(u < form, "{}: `{}` reads its form before its user", f.display(), params.split('(').next().unwrap_or(""));
            }
        }
    }
    assert!(checked > 20, "only {checked} handlers with a user and a form found");
}
