//! Where each object and array of a JSON document starts: a map from JSON pointer
//! (`/resources/0/properties`) to its 1-based line, made by one pass over the text. serde_json
//! keeps no positions, and a report on a template or a plan must point at the line of the rule or
//! resource it speaks of.

use std::collections::HashMap;

/// The line of each object and array of a document, by JSON pointer (`""` for the root).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    at: HashMap<String, usize>,
}

impl Lines {
    /// Scans `text`, which should be JSON; whatever it is, this never fails (a value the scanner
    /// cannot follow simply has no line).
    pub fn of(text: &str) -> Self {
        let mut s = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            at: HashMap::new(),
            depth: 0,
        };
        s.value("");
        Self { at: s.at }
    }

    /// The line of the object or array at `pointer` (`/resources/3/properties`), when known.
    pub fn line(&self, pointer: &str) -> Option<usize> {
        self.at.get(pointer).copied()
    }
}

/// A JSON pointer's next step: `~` and `/` escaped as RFC 6901 says.
pub fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    at: HashMap<String, usize>,
    depth: usize,
}

/// Deeper than any template or plan: a hostile document cannot exhaust the stack.
const MAX_DEPTH: usize = 512;

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
    }

    fn value(&mut self, pointer: &str) {
        self.space();
        if self.depth > MAX_DEPTH {
            return;
        }
        // Objects and arrays only: reports point at resources, rules and blocks, and a plan of
        // megabytes has ten times more scalars than containers (the map stays small and fast).
        if matches!(self.peek(), Some(b'{' | b'[')) {
            self.at.insert(pointer.to_owned(), self.line);
        }
        match self.peek() {
            Some(b'{') => {
                self.depth += 1;
                self.object(pointer);
                self.depth -= 1;
            }
            Some(b'[') => {
                self.depth += 1;
                self.array(pointer);
                self.depth -= 1;
            }
            Some(b'"') => {
                let _ = self.string();
            }
            Some(_) => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.bump();
                }
            }
            None => {}
        }
    }

    fn object(&mut self, pointer: &str) {
        self.bump();
        loop {
            self.space();
            match self.peek() {
                Some(b'}') | None => {
                    self.bump();
                    return;
                }
                Some(b',') => {
                    self.bump();
                }
                Some(b'"') => {
                    let key = self.string();
                    self.space();
                    if self.peek() == Some(b':') {
                        self.bump();
                    }
                    self.value(&child(pointer, &key));
                }
                Some(_) => {
                    // Not JSON: skip a byte and go on, never loop on it.
                    self.bump();
                }
            }
        }
    }

    fn array(&mut self, pointer: &str) {
        self.bump();
        let mut i = 0usize;
        loop {
            self.space();
            match self.peek() {
                Some(b']') | None => {
                    self.bump();
                    return;
                }
                Some(b',') => {
                    self.bump();
                }
                Some(_) => {
                    let before = self.pos;
                    self.value(&format!("{pointer}/{i}"));
                    i += 1;
                    if self.pos == before {
                        self.bump();
                    }
                }
            }
        }
    }

    /// A string's text (escapes kept as the two characters they are, except `\"`).
    fn string(&mut self) -> String {
        self.bump();
        let mut out = Vec::new();
        while let Some(b) = self.bump() {
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(e) = self.bump() {
                        if e != b'"' && e != b'\\' && e != b'/' {
                            out.push(b'\\');
                        }
                        out.push(e);
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_object_and_array_has_its_line() {
        let text = "{\n  \"resources\": [\n    {\n      \"name\": \"a\",\n      \"p\": [1,\n [2]]\n    }\n  ],\n  \"x/y\": {}\n}";
        let l = Lines::of(text);
        assert_eq!(l.line(""), Some(1));
        assert_eq!(l.line("/resources"), Some(2));
        assert_eq!(l.line("/resources/0"), Some(3));
        assert_eq!(l.line("/resources/0/name"), None, "scalars are not indexed");
        assert_eq!(l.line("/resources/0/p/1"), Some(6));
        assert_eq!(l.line("/x~1y"), Some(9));
    }

    #[test]
    fn garbage_never_hangs_or_panics() {
        for text in [
            "{",
            "[[[",
            "{\"a\" 1 2 3}",
            "}{",
            "\"unterminated",
            "[1,,2]",
            "{\"a\":{\"b\":",
        ] {
            let _ = Lines::of(text);
        }
        let deep = "[".repeat(100_000);
        let _ = Lines::of(&deep);
    }
}
