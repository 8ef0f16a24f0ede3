//! The one-way arrows between the layers (../shared/docs/ARCHITECTURE.md), read from the source:
//! nothing below `src/web/` imports the web layer, the pure rules (`src/domain/`,
//! `src/matching/`) import no framework, no database, no service and no state, and `src/domain/`
//! imports nothing of the engine or the reference-data catalogue. An arrow added
//! against them fails here, with the file and line, instead of drifting in unnoticed.

use std::path::{Path, PathBuf};

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

/// Lines of code (comments left out) of `file` that name any of `forbidden`.
fn offending(file: &Path, forbidden: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        for f in forbidden {
            if code.contains(f) {
                out.push(format!("{}:{}: {} ({f})", file.display(), i + 1, line.trim()));
            }
        }
    }
    out
}

fn violations(root: &Path) -> Vec<String> {
    let src = root.join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    files.sort();
    let mut bad = vec![];
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        // The binary and the app factory wire the web layer in; everything else is below it.
        if !rel.starts_with("web/") && rel != "lib.rs" && rel != "main.rs" {
            bad.extend(offending(f, &["crate::web", "super::web"]));
        }
        if rel.starts_with("domain/") || rel.starts_with("matching/") {
            bad.extend(offending(
                f,
                &["actix", "diesel", "crate::db", "crate::service", "crate::state", "crate::web", "crate::search", "crate::mail"],
            ));
        }
    }
    bad
}

#[test]
fn imports_go_one_way_down_the_layers() {
    let bad = violations(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(bad.is_empty(), "imports against the layers (see ../shared/docs/ARCHITECTURE.md):\n{}", bad.join("\n"));
}

#[test]
fn the_layer_check_finds_an_arrow_against_the_layers() {
    // A copy of the tree with one service importing the web layer and one rule importing diesel.
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["service", "domain"] {
        std::fs::create_dir_all(tmp.path().join("src").join(sub)).unwrap();
    }
    std::fs::write(tmp.path().join("src/service/x.rs"), "use crate::web::extract::JsonBody; // upward\n").unwrap();
    std::fs::write(tmp.path().join("src/domain/y.rs"), "use diesel::prelude::*;\n").unwrap();
    std::fs::write(tmp.path().join("src/lib.rs"), std::fs::read_to_string(root.join("src/lib.rs")).unwrap()).unwrap();
    let bad = violations(tmp.path());
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].contains("domain/y.rs:1") && bad[1].contains("service/x.rs:1"), "{bad:?}");
}
