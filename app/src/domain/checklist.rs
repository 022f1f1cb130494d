//! The service truck's checklist templates as dispatch edits them: one text box per problem (and one for every
//! job), a line per entry, questions to ask the customer first marked with a leading "?".

use serde::{Deserialize, Serialize};

use super::{
    Problem,
    text::{TextProblem, clean},
};

/// What goes on every job's list, whatever the problem.
pub const EVERY_JOB: &str = "always";
pub const MAX_LINES: usize = 40;
const MAX_LINE: usize = 120;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateLine {
    pub question: bool,
    pub label: String,
}

/// One problem's list: `problem` is a problem's name or `always`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    pub problem: String,
    pub lines: Vec<TemplateLine>,
}

/// Why a checklist was refused; `texts` says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecklistRefusal {
    UnknownList(String),
    /// More than `MAX_LINES`.
    TooManyLines,
    BadLine {
        line: usize,
        problem: TextProblem,
    },
}

impl ChecklistTemplate {
    /// Every list in the order dispatch sees them: every job first, then the problems.
    pub fn keys() -> impl Iterator<Item = &'static str> {
        std::iter::once(EVERY_JOB).chain(Problem::ALL.into_iter().map(Problem::as_str))
    }

    /// The list as it is edited: a line each, "? " before a question.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| if l.question { format!("? {}", l.label) } else { l.label.clone() })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads an edited list. Blank lines are skipped and a repeated line is kept once.
    pub fn parse(problem: &str, text: &str) -> Result<ChecklistTemplate, ChecklistRefusal> {
        let problem = ChecklistTemplate::keys()
            .find(|k| *k == problem.trim())
            .ok_or_else(|| ChecklistRefusal::UnknownList(problem.chars().take(30).collect()))?;
        let mut lines: Vec<TemplateLine> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let (question, rest) = match raw.trim().strip_prefix('?') {
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            let label = clean(Some(rest), MAX_LINE, false)
                .map_err(|problem| ChecklistRefusal::BadLine { line: i + 1, problem })?;
            if let Some(label) = label
                && !lines.iter().any(|l| l.label == label)
            {
                lines.push(TemplateLine { question, label });
            }
        }
        if lines.len() > MAX_LINES {
            return Err(ChecklistRefusal::TooManyLines);
        }
        Ok(ChecklistTemplate { problem: problem.to_owned(), lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_edited_as_lines_with_questions_marked() -> Result<(), ChecklistRefusal> {
        let t = ChecklistTemplate::parse("battery", "? Do the lights come on?\r\n\nJump pack\n  Jump pack \n?Cables")?;
        assert_eq!(t.problem, "battery");
        assert_eq!(
            t.lines,
            vec![
                TemplateLine { question: true, label: "Do the lights come on?".into() },
                TemplateLine { question: false, label: "Jump pack".into() },
                TemplateLine { question: true, label: "Cables".into() },
            ]
        );
        assert_eq!(t.text(), "? Do the lights come on?\nJump pack\n? Cables");
        assert_eq!(ChecklistTemplate::parse("always", "")?.problem, "always");
        Ok(())
    }

    #[test]
    fn bad_lists_are_refused_with_the_line() {
        assert_eq!(ChecklistTemplate::parse("spaceship", "x"), Err(ChecklistRefusal::UnknownList("spaceship".into())));
        let long = "x".repeat(121);
        assert_eq!(
            ChecklistTemplate::parse("tow", &format!("ok\n{long}")),
            Err(ChecklistRefusal::BadLine { line: 2, problem: TextProblem::TooLong { max: 120 } })
        );
        let many: Vec<String> = (0..41).map(|i| format!("item {i}")).collect();
        assert_eq!(ChecklistTemplate::parse("tow", &many.join("\n")), Err(ChecklistRefusal::TooManyLines));
        assert!(matches!(ChecklistTemplate::parse("tow", "a\u{7}b"), Err(ChecklistRefusal::BadLine { line: 1, .. })));
    }
}
