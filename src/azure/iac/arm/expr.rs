//! The template expression language, parsed: a string `"[…]"` holds an expression (`"[[…"` is
//! the literal `[…`), made of string literals in single quotes (`''` for a quote), whole numbers,
//! function calls (`concat('a', parameters('b'))`), member access (`.name`) and indexes
//! (`[0]`, `['key']`). See learn.microsoft.com/azure/azure-resource-manager/templates/
//! template-expressions.

/// One node of an expression, with where it is in the source (for naming what is unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: Kind,
    /// Its text's start and end in the source.
    pub span: (usize, usize),
}

/// The kinds of node.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `'text'`.
    Str(String),
    /// `42`, `-1`.
    Int(i64),
    /// `true`, `false`, `null` written bare.
    Word(String),
    /// `name(args…)`; the name as written (functions are matched case-insensitively).
    Call(String, Vec<Expr>),
    /// `expr.name`.
    Member(Box<Expr>, String),
    /// `expr[index]`.
    Index(Box<Expr>, Box<Expr>),
}

/// What a template string holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Template<'a> {
    /// A literal (`"[[x]"` is the literal `[x]`).
    Literal(std::borrow::Cow<'a, str>),
    /// An expression: its source, without the brackets.
    Expression(&'a str),
}

/// Tells a template string's expression from a literal.
pub fn classify(s: &str) -> Template<'_> {
    if let Some(rest) = s.strip_prefix("[[") {
        return Template::Literal(format!("[{rest}").into());
    }
    match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => Template::Expression(inner),
        None => Template::Literal(s.into()),
    }
}

/// Deeper than any real template: a hostile one cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Parses an expression's source (without its brackets).
pub fn parse(src: &str) -> Result<Expr, String> {
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    p.space();
    if p.pos < p.bytes.len() {
        return Err(p.fail("unexpected text"));
    }
    Ok(e)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        let rest: String = self.src[self.pos..].chars().take(20).collect();
        if rest.is_empty() {
            format!("{what} at the end of the expression")
        } else {
            format!("{what} at character {} ({rest:?})", self.pos + 1)
        }
    }

    fn space(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("nested too deeply"));
        }
        let mut e = self.primary()?;
        loop {
            let start = e.span.0;
            if self.eat(b'.') {
                let name = self.ident().ok_or_else(|| self.fail("expected a name"))?;
                e = Expr {
                    kind: Kind::Member(Box::new(e), name),
                    span: (start, self.pos),
                };
            } else if self.eat(b'[') {
                let index = self.expr()?;
                if !self.eat(b']') {
                    return Err(self.fail("expected ]"));
                }
                e = Expr {
                    kind: Kind::Index(Box::new(e), Box::new(index)),
                    span: (start, self.pos),
                };
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.space();
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'\'') => Kind::Str(self.string()?),
            Some(b) if b == b'-' || b.is_ascii_digit() => Kind::Int(self.int()?),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let mut name = self.ident().unwrap_or_default();
                // A user-defined function's namespace: `ns.fn(…)`.
                let save = self.pos;
                if self.eat(b'.')
                    && let Some(more) = self.ident()
                    && self.peek() == Some(b'(')
                {
                    name = format!("{name}.{more}");
                } else {
                    self.pos = save;
                }
                if self.eat(b'(') {
                    Kind::Call(name, self.args()?)
                } else if ["true", "false", "null"].contains(&name.as_str()) {
                    Kind::Word(name)
                } else {
                    self.pos = start;
                    return Err(self.fail(&format!("{name:?} is not a function call")));
                }
            }
            _ => return Err(self.fail("expected a value")),
        };
        Ok(Expr {
            kind,
            span: (start, self.pos),
        })
    }

    fn args(&mut self) -> Result<Vec<Expr>, String> {
        let mut args = Vec::new();
        if self.eat(b')') {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(b')') {
                return Ok(args);
            }
            if !self.eat(b',') {
                return Err(self.fail("expected , or )"));
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.space();
        let start = self.pos;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.pos += 1;
        }
        (self.pos > start && !self.bytes[start].is_ascii_digit())
            .then(|| self.src[start..self.pos].to_owned())
    }

    fn string(&mut self) -> Result<String, String> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.pos..];
            let Some(at) = rest.find('\'') else {
                self.pos = open;
                return Err(self.fail("a string without its closing quote"));
            };
            out.push_str(&rest[..at]);
            self.pos += at + 1;
            if self.bytes.get(self.pos) == Some(&b'\'') {
                out.push('\'');
                self.pos += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        let start = self.pos;
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.src[start..self.pos].parse::<i64>().map_err(|_| {
            self.pos = start;
            self.fail("not a whole number")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Kind>) -> Kind {
        Kind::Call(
            name.into(),
            args.into_iter()
                .map(|kind| Expr { kind, span: (0, 0) })
                .collect(),
        )
    }

    /// The tree without spans, to compare.
    fn shape(e: &Expr) -> Kind {
        match &e.kind {
            Kind::Call(n, a) => call(n, a.iter().map(shape).collect()),
            Kind::Member(b, n) => Kind::Member(
                Box::new(Expr {
                    kind: shape(b),
                    span: (0, 0),
                }),
                n.clone(),
            ),
            Kind::Index(b, i) => Kind::Index(
                Box::new(Expr {
                    kind: shape(b),
                    span: (0, 0),
                }),
                Box::new(Expr {
                    kind: shape(i),
                    span: (0, 0),
                }),
            ),
            k => k.clone(),
        }
    }

    #[test]
    fn strings_tell_expressions_from_literals() {
        assert_eq!(
            classify("[concat('a')]"),
            Template::Expression("concat('a')")
        );
        assert_eq!(
            classify("[[concat('a')]"),
            Template::Literal("[concat('a')]".into())
        );
        assert_eq!(
            classify("[not closed"),
            Template::Literal("[not closed".into())
        );
        assert_eq!(classify("plain"), Template::Literal("plain".into()));
    }

    #[test]
    fn calls_literals_members_and_indexes_parse() {
        let e = parse(" concat( 'it''s' , parameters('x').y[0] , -3 ) ").unwrap();
        let member = Kind::Member(
            Box::new(Expr {
                kind: call("parameters", vec![Kind::Str("x".into())]),
                span: (0, 0),
            }),
            "y".into(),
        );
        let index = Kind::Index(
            Box::new(Expr {
                kind: member,
                span: (0, 0),
            }),
            Box::new(Expr {
                kind: Kind::Int(0),
                span: (0, 0),
            }),
        );
        assert_eq!(
            shape(&e),
            call(
                "concat",
                vec![Kind::Str("it's".into()), index, Kind::Int(-3)]
            )
        );
        let src = "concat('a', parameters('x').y[0])";
        let e = parse(src).unwrap();
        let Kind::Call(_, args) = &e.kind else {
            panic!()
        };
        assert_eq!(&src[args[1].span.0..args[1].span.1], "parameters('x').y[0]");
        assert_eq!(shape(&parse("true").unwrap()), Kind::Word("true".into()));
        assert_eq!(
            shape(&parse("ns.fn(1)").unwrap()),
            call("ns.fn", vec![Kind::Int(1)])
        );
    }

    #[test]
    fn malformed_expressions_are_errors_never_panics() {
        for bad in [
            "",
            "concat('a'",
            "concat('a',)",
            "'open",
            "parameters('x').",
            "x",
            "a[1",
            "1 2",
            "99999999999999999999",
            "-",
            "concat(,)",
            "é(",
            "f()[",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}1{}", "f(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).unwrap_err().contains("nested too deeply"));
    }
}
