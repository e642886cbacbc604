//! Files generated from the Rust core and committed for the UI (the bindings, the fixtures
//! the UI's scripted backend answers from): each test regenerates its file and fails, saying
//! how to fix it, when the committed copy differs.

use std::path::PathBuf;

/// Where a committed file differs from what the Rust core gives.
#[derive(Debug, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    /// 1-based line of the first difference.
    pub line: usize,
    pub expected: String,
    pub found: String,
    pub regenerate: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is out of date with the Rust core at line {}:\n  generated: {}\n  committed: {}\n\
             Regenerate with {}",
            self.path, self.line, self.expected, self.found, self.regenerate
        )
    }
}

/// Compares generated text with the committed text.
pub fn check(path: &str, regenerate: &str, generated: &str, committed: &str) -> Result<(), Drift> {
    if generated == committed {
        return Ok(());
    }
    let mut expected = generated.lines();
    let mut found = committed.lines();
    let mut line = 1;
    loop {
        match (expected.next(), found.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Err(Drift {
                    path: path.to_owned(),
                    line,
                    expected: a.unwrap_or("<end of file>").to_owned(),
                    found: b.unwrap_or("<end of file>").to_owned(),
                    regenerate: regenerate.to_owned(),
                });
            }
        }
    }
}

/// The repository path of a committed file.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Rewrites the committed file when `variable=1`, then checks it against `generated`.
pub fn assert_committed(relative: &str, variable: &str, test: &str, generated: &str) {
    let path = repo_path(relative);
    if std::env::var(variable).as_deref() == Ok("1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the fixture folder");
        }
        std::fs::write(&path, generated).expect("write the generated file");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let regenerate = format!("{variable}=1 cargo test --features custom-protocol --test it {test}");
    if let Err(drift) = check(relative, &regenerate, generated, &committed) {
        panic!("{drift}");
    }
}
