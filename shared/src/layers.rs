//! The layering docs/ARCHITECTURE.md draws, checked on the source: the modules below
//! the domain import nothing above them, and no source file of the workspace grows past
//! [`LINES_MAX`] lines (its inline `#[cfg(test)] mod tests` not counted).

use std::path::{Path, PathBuf};

/// The longest a source file may be, its inline tests not counted.
const LINES_MAX: usize = 450;

/// Each lower module (a file, or a directory and everything in it) and the modules
/// above it that it must not import.
const BELOW: &[(&str, &[&str])] = &[
    ("repo", &["domain", "http", "auth", "state", "AppState", "queue", "vault", "policy", "roles"]),
    ("keys", &["domain", "http", "auth", "repo", "state", "AppState", "error"]),
    ("pagination.rs", &["domain", "http", "auth", "repo", "state", "AppState", "error", "Error"]),
    ("policy", &["domain", "http", "auth", "repo", "state", "AppState", "queue", "vault", "roles"]),
    ("auth.rs", &["domain", "http", "repo", "state", "AppState", "error", "Error"]),
    ("activity.rs", &["domain", "http", "auth", "repo", "state", "AppState"]),
    ("money.rs", &["domain", "http", "auth", "repo", "state", "AppState"]),
    ("secrets.rs", &["domain", "http", "auth", "repo", "state", "AppState"]),
];

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of a file: its lines without comments.
fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with("//"))
}

/// The lines that count: everything before an inline `#[cfg(test)] mod tests`.
fn counted_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let tests = lines.windows(2).position(|w| w[0] == "#[cfg(test)]" && w[1].starts_with("mod tests"));
    tests.unwrap_or(lines.len())
}

#[test]
fn lower_layers_import_nothing_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (module, above) in BELOW {
        for file in rust_files(&src.join(module)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in code(&text) {
                for name in *above {
                    let path = format!("crate::{name}");
                    let at = line.match_indices(&path).any(|(i, _)| {
                        let next = line[i + path.len()..].chars().next();
                        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if at {
                        found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "imports of a layer above:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut roots = vec![workspace.join("shared/src"), workspace.join("wire/src"), workspace.join("cli/src")];
    roots.extend(["devserver/src", "bench/src", "tests/src"].map(|dir| workspace.join(dir)));
    for function in std::fs::read_dir(workspace.join("functions")).unwrap() {
        roots.push(function.unwrap().path().join("src"));
    }
    let mut long = Vec::new();
    for file in roots.iter().filter(|root| root.exists()).flat_map(|root| rust_files(root)) {
        let lines = counted_lines(&std::fs::read_to_string(&file).unwrap());
        if lines > LINES_MAX {
            long.push(format!("{}: {lines} lines", file.display()));
        }
    }
    assert!(long.is_empty(), "files over {LINES_MAX} lines:\n{}", long.join("\n"));
}

#[test]
fn inline_tests_are_not_counted_and_comments_are_not_code() {
    assert_eq!(counted_lines("a\nb\n#[cfg(test)]\nmod tests {\nc\n}\n"), 2);
    assert_eq!(counted_lines("a\nb\n"), 2);
    let lines: Vec<usize> = code("use x;\n// crate::domain\n  /// crate::domain\nfn f() {}").map(|(n, _)| n).collect();
    assert_eq!(lines, [0, 3]);
}
