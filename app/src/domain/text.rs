#![cfg_attr(not(feature = "ssr"), allow(dead_code))]
//! Free text from strangers: trimmed, bounded, and free of control characters, so that what a technician reads
//! is what the customer typed and nothing can disguise itself on screen.

pub const MAX_SHORT: usize = 60;
pub const MAX_PLACE: usize = 300;
pub const MAX_NOTES: usize = 1000;

/// Why a text was refused; `texts` says it, naming the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    TooLong { max: usize },
    ControlCharacter,
}

/// Trimmed text, or None when empty. `multiline` allows line breaks (notes), nothing else below U+0020.
pub fn clean(input: Option<&str>, max: usize, multiline: bool) -> Result<Option<String>, TextProblem> {
    let Some(raw) = input else { return Ok(None) };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\r' || c == '\t'));
    if !trimmed.chars().all(allowed) || trimmed.chars().any(is_invisible_format) {
        return Err(TextProblem::ControlCharacter);
    }
    if trimmed.chars().count() > max {
        return Err(TextProblem::TooLong { max });
    }
    // Browsers send CRLF from textareas; store one kind of line break.
    Ok(Some(trimmed.replace("\r\n", "\n")))
}

/// Bidirectional overrides and similar format characters can make text read differently from what it is.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_absent() {
        assert_eq!(clean(Some("   "), 10, false), Ok(None));
        assert_eq!(clean(None, 10, false), Ok(None));
    }

    #[test]
    fn text_is_trimmed_and_line_breaks_normalised() {
        assert_eq!(clean(Some("  gate 4\r\nblue door "), 50, true), Ok(Some("gate 4\nblue door".into())));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let ten_umlauts = "ü".repeat(10);
        assert_eq!(clean(Some(&ten_umlauts), 10, false), Ok(Some(ten_umlauts.clone())));
        assert_eq!(clean(Some(&format!("{ten_umlauts}ü")), 10, false), Err(TextProblem::TooLong { max: 10 }));
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        assert_eq!(clean(Some("a\u{0000}b"), 50, true), Err(TextProblem::ControlCharacter));
        assert_eq!(clean(Some("a\nb"), 50, false), Err(TextProblem::ControlCharacter));
        assert_eq!(clean(Some("abc\u{202E}fed"), 50, true), Err(TextProblem::ControlCharacter));
        assert_eq!(clean(Some("a\u{1b}[31mred"), 50, true), Err(TextProblem::ControlCharacter));
    }
}
