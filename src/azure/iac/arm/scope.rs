//! One template's evaluation scope: its parameters (given or defaulted), its variables (each
//! evaluated once, when first used, with its `copy` loops), and the evaluation of any of its
//! JSON values — expressions in strings, property `copy` loops in objects. Errors name the file
//! and the JSON path of the string or member at fault.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::access::{Loops, copy_index, member, step, weight};
use super::expr::{self, Expr, Kind, Template};
use super::funcs;
use super::params::{self, GivenValues, path_of};
use super::val::{Unknown, Val};
use crate::azure::InputError;
use crate::azure::iac::lines::child;

/// ARM's limit on a copy loop's count.
pub const MAX_COPIES: i64 = 800;
/// Values evaluated per template, at most: a hostile template cannot make the reader loop.
const BUDGET: usize = 2_000_000;
/// How large one value may grow (strings' bytes plus members), and how deep variables and
/// parameters may use each other.
const MAX_WEIGHT: usize = 1_000_000;
const MAX_NESTING: usize = 64;

/// Where a variable comes from.
enum VarSrc<'a> {
    /// `variables.NAME`.
    Plain(&'a Value, String),
    /// An entry of `variables.copy` (`name`, `count`, `input`).
    Copy(&'a Value, String),
}

/// A template's scope.
pub struct Scope<'a> {
    file: PathBuf,
    decls: BTreeMap<String, (String, &'a Value, String)>,
    given: GivenValues,
    vars: BTreeMap<String, VarSrc<'a>>,
    memo: HashMap<String, Val>,
    active: Vec<String>,
    budget: usize,
}

impl<'a> Scope<'a> {
    /// The scope of `template`, at JSON pointer `root` of `file`, with the values `given`.
    pub fn new(
        file: &Path,
        template: &'a Value,
        root: &str,
        given: GivenValues,
    ) -> Result<Self, InputError> {
        let err = |ptr: &str, m: &str| InputError::new(file, path_of(ptr), m);
        let decls = params::declared(file, template, root)?;
        for (lower, (name, g)) in &given {
            if !decls.contains_key(lower) {
                return Err(g.error(format!("the template declares no parameter {name}")));
            }
        }
        let mut vars = BTreeMap::new();
        match member(template, "variables") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (name, v) in m {
                    let ptr = child(&child(root, "variables"), name);
                    if !name.eq_ignore_ascii_case("copy") {
                        vars.insert(name.to_ascii_lowercase(), VarSrc::Plain(v, ptr));
                        continue;
                    }
                    let Some(list) = v.as_array() else {
                        return Err(err(&ptr, "expected a list of copy loops"));
                    };
                    for (i, entry) in list.iter().enumerate() {
                        let at = format!("{ptr}/{i}");
                        let n = member(entry, "name").and_then(Value::as_str);
                        let n = n.ok_or_else(|| err(&at, "a copy loop without `name`"))?;
                        vars.insert(n.to_ascii_lowercase(), VarSrc::Copy(entry, at));
                    }
                }
            }
            Some(_) => {
                return Err(err(
                    &child(root, "variables"),
                    "expected an object of variables",
                ));
            }
        }
        Ok(Self {
            file: file.to_owned(),
            decls,
            given,
            vars,
            memo: HashMap::new(),
            active: Vec::new(),
            budget: BUDGET,
        })
    }

    /// The template's file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// An error at the JSON pointer `ptr` of the template.
    pub fn err(&self, ptr: &str, message: impl Into<String>) -> InputError {
        InputError::new(&self.file, path_of(ptr), message)
    }

    /// Evaluates a JSON value of the template at `ptr`: every expression, every property loop.
    pub fn eval(&mut self, v: &Value, ptr: &str, loops: &Loops) -> Result<Val, InputError> {
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or_else(|| self.err(ptr, "the template is too large to evaluate"))?;
        Ok(match v {
            Value::String(s) => self.eval_str(s, ptr, loops)?,
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    out.push(self.eval(x, &format!("{ptr}/{i}"), loops)?);
                }
                Val::Arr(out)
            }
            Value::Object(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, x) in m {
                    let at = child(ptr, k);
                    match x {
                        Value::Array(list) if k.eq_ignore_ascii_case("copy") => {
                            for (i, entry) in list.iter().enumerate() {
                                let at = format!("{at}/{i}");
                                let name = self.loop_name(entry, &at)?;
                                out.push((name, self.expand(entry, &at, loops)?));
                            }
                        }
                        _ => out.push((k.clone(), self.eval(x, &at, loops)?)),
                    }
                }
                Val::Obj(out)
            }
            other => Val::literal(other),
        })
    }

    /// A copy loop's `name`.
    pub fn loop_name(&self, entry: &Value, ptr: &str) -> Result<String, InputError> {
        match member(entry, "name") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(self.err(ptr, "a copy loop without `name`")),
        }
    }

    /// A copy loop's count: a number from 0 to 800, or unknown (with why).
    pub fn count(
        &mut self,
        entry: &Value,
        ptr: &str,
        loops: &Loops,
    ) -> Result<Result<i64, Unknown>, InputError> {
        let Some(c) = member(entry, "count") else {
            return Err(self.err(ptr, "a copy loop without `count`"));
        };
        let at = child(ptr, "count");
        match self.eval(c, &at, loops)? {
            Val::Int(n) if (0..=MAX_COPIES).contains(&n) => Ok(Ok(n)),
            Val::Int(n) => Err(self.err(&at, format!("{n} copies: ARM allows 0 to {MAX_COPIES}"))),
            Val::Unknown(u) => Ok(Err(u)),
            v => Err(self.err(&at, format!("expected a number, found {}", v.kind()))),
        }
    }

    /// A property or variable copy loop: the list of its `input`, once per index.
    pub fn expand(&mut self, entry: &Value, ptr: &str, loops: &Loops) -> Result<Val, InputError> {
        let name = self.loop_name(entry, ptr)?;
        let n = match self.count(entry, ptr, loops)? {
            Ok(n) => n,
            Err(u) => {
                return Ok(Val::Unknown(Unknown {
                    text: format!("[copy {name}]"),
                    why: format!("the number of {name} is not known: {}", u.why),
                }));
            }
        };
        let Some(input) = member(entry, "input") else {
            return Err(self.err(ptr, "a copy loop without `input`"));
        };
        let at = child(ptr, "input");
        let mut out = Vec::new();
        for i in 0..n {
            let mut inner = loops.clone();
            inner.push((name.clone(), i));
            out.push(self.eval(input, &at, &inner)?);
        }
        Ok(Val::Arr(out))
    }

    /// Evaluates a template string: an expression, or a literal.
    pub fn eval_str(&mut self, s: &str, ptr: &str, loops: &Loops) -> Result<Val, InputError> {
        match expr::classify(s) {
            Template::Literal(text) => Ok(Val::Str(text.into_owned())),
            Template::Expression(src) => {
                let e = expr::parse(src).map_err(|m| {
                    self.err(ptr, format!("[{src}] is not a valid expression: {m}"))
                })?;
                self.eval_expr(&e, src, ptr, loops)
            }
        }
    }

    fn eval_expr(
        &mut self,
        e: &Expr,
        src: &str,
        ptr: &str,
        loops: &Loops,
    ) -> Result<Val, InputError> {
        let text = &src[e.span.0..e.span.1];
        let fail = |s: &Self, m: String| s.err(ptr, format!("[{text}]: {m}"));
        match &e.kind {
            Kind::Str(s) => Ok(Val::Str(s.clone())),
            Kind::Int(i) => Ok(Val::Int(*i)),
            Kind::Word(w) => Ok(match w.as_str() {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                _ => Val::Null,
            }),
            Kind::Member(base, name) => {
                let b = self.eval_expr(base, src, ptr, loops)?;
                step(&b, &Val::Str(name.clone()), text).map_err(|m| fail(self, m))
            }
            Kind::Index(base, index) => {
                let b = self.eval_expr(base, src, ptr, loops)?;
                let i = self.eval_expr(index, src, ptr, loops)?;
                step(&b, &i, text).map_err(|m| fail(self, m))
            }
            Kind::Call(name, args) => {
                let v = self.call((name, args, text), src, ptr, loops)?;
                if weight(&v, MAX_WEIGHT) >= MAX_WEIGHT {
                    return Err(fail(self, "the value grows too large".into()));
                }
                Ok(v)
            }
        }
    }

    /// A call (its name, arguments and text) in the expression `src`.
    fn call(
        &mut self,
        (name, args, text): (&str, &[Expr], &str),
        src: &str,
        ptr: &str,
        loops: &Loops,
    ) -> Result<Val, InputError> {
        let fail = |s: &Self, m: String| s.err(ptr, format!("[{text}]: {m}"));
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "if" => {
                if args.len() != 3 {
                    return Err(fail(self, "if() takes 3 arguments".into()));
                }
                return match self.eval_expr(&args[0], src, ptr, loops)? {
                    Val::Bool(true) => self.eval_expr(&args[1], src, ptr, loops),
                    Val::Bool(false) => self.eval_expr(&args[2], src, ptr, loops),
                    Val::Unknown(u) => Ok(Val::Unknown(Unknown {
                        text: format!("[{text}]"),
                        why: u.why,
                    })),
                    v => Err(fail(
                        self,
                        format!("if() expects a boolean, found {}", v.kind()),
                    )),
                };
            }
            "parameters" | "variables" | "copyindex" => {}
            _ if !funcs::evaluated(name) => return Ok(funcs::not_evaluated(name, text)),
            _ => {}
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval_expr(a, src, ptr, loops)?);
        }
        match lower.as_str() {
            "parameters" | "variables" => match values.as_slice() {
                [Val::Str(n)] if lower == "parameters" => self.parameter(n, ptr),
                [Val::Str(n)] => self.variable(n, ptr),
                [Val::Unknown(u)] => Ok(Val::Unknown(Unknown {
                    text: format!("[{text}]"),
                    why: u.why.clone(),
                })),
                _ => Err(fail(self, format!("{name}() takes one name"))),
            },
            "copyindex" => copy_index(&values, loops).map_err(|m| fail(self, m)),
            _ => funcs::call(name, &values, text).map_err(|m| fail(self, m)),
        }
    }

    /// `parameters('name')`: the value given, else the default, else unknown.
    fn parameter(&mut self, name: &str, ptr: &str) -> Result<Val, InputError> {
        let lower = name.to_ascii_lowercase();
        let Some((declared, decl, at)) = self.decls.get(&lower).cloned() else {
            return Err(self.err(
                ptr,
                format!("[parameters('{name}')]: the template declares no parameter {name}"),
            ));
        };
        let key = format!("p:{lower}");
        if let Some(v) = self.memo.get(&key) {
            return Ok(v.clone());
        }
        let v = if let Some((_, g)) = self.given.get(&lower) {
            let v = g.val().clone();
            if let Some(m) = params::check(decl, &v) {
                return Err(g.error(m));
            }
            v
        } else if let Some(d) = member(decl, "defaultValue") {
            let at = child(&at, "defaultValue");
            let v = self.nested(&key, ptr, |s| s.eval(d, &at, &Vec::new()))?;
            if let Some(m) = params::check(decl, &v) {
                return Err(self.err(&at, m));
            }
            v
        } else {
            let src = format!("parameters('{declared}')");
            let why = format!("[{src}] has no value");
            Val::Unknown(Unknown::of(&src, why))
        };
        self.memo.insert(key, v.clone());
        Ok(v)
    }

    /// `variables('name')`, evaluated once.
    fn variable(&mut self, name: &str, ptr: &str) -> Result<Val, InputError> {
        let lower = name.to_ascii_lowercase();
        let key = format!("v:{lower}");
        if let Some(v) = self.memo.get(&key) {
            return Ok(v.clone());
        }
        let (v, at, copy) = match self.vars.get(&lower) {
            Some(VarSrc::Plain(v, at)) => (*v, at.clone(), false),
            Some(VarSrc::Copy(v, at)) => (*v, at.clone(), true),
            None => {
                return Err(self.err(
                    ptr,
                    format!("[variables('{name}')]: the template declares no variable {name}"),
                ));
            }
        };
        let val = self.nested(&key, ptr, |s| {
            if copy {
                s.expand(v, &at, &Vec::new())
            } else {
                s.eval(v, &at, &Vec::new())
            }
        })?;
        self.memo.insert(key, val.clone());
        Ok(val)
    }

    /// Runs `f` for the parameter or variable `key`, refusing a circle or too deep a chain.
    fn nested(
        &mut self,
        key: &str,
        ptr: &str,
        f: impl FnOnce(&mut Self) -> Result<Val, InputError>,
    ) -> Result<Val, InputError> {
        if self.active.iter().any(|k| k == key) {
            let chain: Vec<&str> = self.active.iter().map(|k| &k[2..]).collect();
            return Err(self.err(
                ptr,
                format!("{} uses itself (through {})", &key[2..], chain.join(" → ")),
            ));
        }
        if self.active.len() >= MAX_NESTING {
            return Err(self.err(ptr, "parameters and variables use each other too deeply"));
        }
        self.active.push(key.to_owned());
        let r = f(self);
        self.active.pop();
        r
    }
}
