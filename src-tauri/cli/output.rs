//! What the CLI prints: text for people, JSON for scripts, and the one-line error.

use std::process::ExitCode;

use serde::Serialize;

use crate::error::ApiError;
use crate::locale::Language;
use crate::secrets::SecretString;
use crate::sources::verify;

/// What a command prints: text for people, JSON for scripts.
pub struct Output {
    pub text: String,
    pub json: String,
}

impl Output {
    pub fn new(text: String, value: &impl Serialize) -> Output {
        Output {
            text,
            json: serde_json::to_string_pretty(value).expect("output serializes"),
        }
    }

    /// The same text for people and scripts (a policy document, say).
    pub fn same(text: String) -> Output {
        Output {
            json: text.clone(),
            text,
        }
    }

    /// Adds a secret that is shown this once: a line of text and `secretAccessKey` in the
    /// JSON. Only when the user asked for it (`--show-secret`).
    pub fn with_secret_once(
        mut text: String,
        mut json: serde_json::Value,
        secret: Option<&SecretString>,
        lang: Language,
    ) -> Output {
        if let Some(secret) = secret {
            text.push_str(&format!(
                "\n{}: {}",
                lang.pick("비밀 키(한 번만 표시)", "Secret (shown once)"),
                secret.expose()
            ));
            json["secretAccessKey"] = secret.expose().into();
        }
        Output::new(text, &json)
    }
}

/// Prints the outcome and turns it into the exit code.
pub fn print_result(result: Result<Output, ApiError>, json: bool) -> ExitCode {
    match result {
        Ok(output) => {
            if json {
                println!("{}", output.json);
            } else if !output.text.is_empty() {
                println!("{}", output.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if json {
                println!("{}", serde_json::to_string(&err).expect("error serializes"));
            } else {
                eprintln!("bucketdesk: {}", one_line(&err.message));
            }
            ExitCode::FAILURE
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Columns aligned by characters (Korean text included), two spaces apart.
pub fn render_table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            row.iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A verification report as lines: ✓/✗/– per check, the hint under a failure.
pub fn render_report(report: &verify::VerifyReport, lang: Language) -> String {
    let mut lines = Vec::new();
    for check in &report.checks {
        let mark = match check.status {
            verify::CheckStatus::Passed => "✓",
            verify::CheckStatus::Failed => "✗",
            verify::CheckStatus::Skipped => "–",
        };
        let id = serde_json::to_value(check.id)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        lines.push(format!("{mark} {id}: {}", check.message));
        if let Some(hint) = &check.hint {
            lines.push(format!("    {} {hint}", lang.pick("해결:", "Fix:")));
        }
    }
    for w in &report.warnings {
        lines.push(format!("! {w}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_by_characters_not_bytes() {
        let t = render_table(&[
            ["이름".to_owned(), "x".to_owned()],
            ["abcd".to_owned(), "y".to_owned()],
        ]);
        assert_eq!(t, "이름    x\nabcd  y");
    }

    #[test]
    fn errors_print_on_one_line() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }

    #[test]
    fn a_secret_is_added_only_when_asked() {
        let secret = SecretString::new("s3cr3t");
        let shown = Output::with_secret_once(
            "made".into(),
            serde_json::json!({"k": 1}),
            Some(&secret),
            Language::En,
        );
        assert!(shown.text.ends_with("Secret (shown once): s3cr3t"));
        assert!(shown.json.contains("\"secretAccessKey\": \"s3cr3t\""));
        let hidden = Output::with_secret_once(
            "made".into(),
            serde_json::json!({"k": 1}),
            None,
            Language::En,
        );
        assert_eq!(hidden.text, "made");
        assert!(!hidden.json.contains("secretAccessKey"));
    }
}
