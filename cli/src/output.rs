//! What commands print: text for people (escaped for the terminal), JSON for scripts,
//! and the exit code.

use agentctl_wire::text::is_bidi_control;
use serde::Serialize;
use serde_json::Value;

/// What a command reports: text for people, JSON for scripts, and its exit code.
pub struct Output {
    pub text: String,
    pub json: Value,
    pub exit_code: u8,
}

impl Output {
    pub fn new(text: impl Into<String>, json: Value) -> Self {
        Self { text: text.into(), json, exit_code: 0 }
    }

    /// An answer of the API: `text` for people, the answer itself for scripts.
    pub fn answer(text: impl Into<String>, answer: &impl Serialize) -> Self {
        Self::new(text, serde_json::to_value(answer).expect("wire types serialize"))
    }
}

/// Prints a command's output: its JSON when `json` is asked for (and there is some), else
/// its text, escaped.
pub fn print(json: bool, output: &Output) {
    // An export to standard output has written its data already.
    if json && !output.json.is_null() {
        println!("{}", output.json);
    } else if !output.text.is_empty() {
        println!("{}", terminal_safe(&output.text));
    }
}

/// Text as a terminal may show it: control characters other than newline and tab, and
/// bidirectional formatting characters, become visible escapes (`\u{1b}`), so nothing
/// the server or a file holds can move the cursor, recolour, retitle or reorder output.
pub fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Standard output that escapes control characters when it is a terminal. Escaping works
/// on whole lines, so a character split between two network chunks is never mangled.
pub struct TerminalSafe<W: std::io::Write> {
    inner: W,
    escape: bool,
    pending: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafe<W> {
    pub fn new(inner: W, escape: bool) -> Self {
        Self { inner, escape, pending: Vec::new() }
    }

    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(terminal_safe(&String::from_utf8_lossy(bytes)).as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.escape {
            return self.inner.write(bytes);
        }
        self.pending.extend_from_slice(bytes);
        if let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') {
            let lines: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&lines)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_terminal_gets_whole_lines_escaped_even_when_a_character_is_split() {
        let mut out = Vec::new();
        let mut sink = TerminalSafe::new(&mut out, true);
        let text = "caf\u{e9}\u{1b}[2J\nnext";
        let bytes = text.as_bytes();
        let split = 4; // inside the two bytes of é
        sink.write_all(&bytes[..split]).unwrap();
        sink.write_all(&bytes[split..]).unwrap();
        sink.flush().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "caf\u{e9}\\u{1b}[2J\nnext");
        let mut raw = Vec::new();
        TerminalSafe::new(&mut raw, false).write_all(bytes).unwrap();
        assert_eq!(raw, bytes, "a pipe gets the bytes as sent");
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let hostile = "ok\u{1b}]0;owned\u{7}\u{1b}[2J \u{202e}gnp.exe\r\u{0}\u{9b}";
        let safe = terminal_safe(hostile);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
        assert!(safe.contains("\\u{1b}]0;owned\\u{7}") && safe.contains("\\u{202e}"), "{safe}");
        assert_eq!(terminal_safe("two\n\tlines"), "two\n\tlines");
    }
}
