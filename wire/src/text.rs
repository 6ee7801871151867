//! Characters that must not reach a terminal or a page as they are: the server refuses
//! them in names and text, the CLI escapes them in whatever it prints.

/// Unicode's bidirectional formatting characters: they reorder what a terminal or a page
/// shows (U+202E makes `exe.txt` read `txt.exe`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
