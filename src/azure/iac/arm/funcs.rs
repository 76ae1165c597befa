//! The template functions evaluated (learn.microsoft.com/azure/azure-resource-manager/templates/
//! template-functions), over arguments already evaluated: `concat`, `format`, `resourceId`,
//! `subscriptionResourceId`, `length`, `createArray`, `createObject`, `toLower`, `toUpper`,
//! `string`, `int`, `bool`, `equals`, `not`, `and`, `or`, `empty`, `first`, `last`, `split`,
//! `replace`, `json`, `coalesce`, `add`, `sub`, `mul`, `div`, `mod`, `true`, `false`, `null`.
//! Those that need the template (`parameters`, `variables`, `copyIndex`, `if`) are the
//! evaluator's. Any other function's value is unknown, named: those that read the deployment
//! (`resourceGroup()`, `reference()`, `list*()` …) and the rest (`uniqueString()`, `guid()` …).
//!
//! An argument that is not known makes the result unknown, except for the functions that build
//! names and ids (`concat`, `format`, `resourceId`), whose unknown parts stay written as their
//! expressions. What ARM itself refuses (a wrong type, a wrong number of arguments) is an error.

use super::args::{arity, boolean, int, string};
use super::names::{concat, format, resource_id};
use super::val::{Unknown, Val};

/// Functions whose value is known only once deployed.
const DEPLOYMENT: &[&str] = &[
    "resourcegroup",
    "subscription",
    "deployment",
    "environment",
    "reference",
    "references",
    "tenant",
    "managementgroup",
    "pickzones",
    "utcnow",
    "newguid",
    "providers",
];

/// The functions this file evaluates (lower case).
const EVALUATED: &[&str] = &[
    "concat",
    "format",
    "resourceid",
    "subscriptionresourceid",
    "length",
    "createarray",
    "createobject",
    "tolower",
    "toupper",
    "string",
    "int",
    "bool",
    "equals",
    "not",
    "and",
    "or",
    "empty",
    "first",
    "last",
    "split",
    "replace",
    "json",
    "coalesce",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "true",
    "false",
    "null",
];

/// Whether `name` (any case) is evaluated here.
pub fn evaluated(name: &str) -> bool {
    EVALUATED.contains(&name.to_ascii_lowercase().as_str())
}

/// The unknown value of a function that is not evaluated, `src` being the call.
pub fn not_evaluated(name: &str, src: &str) -> Val {
    let lower = name.to_ascii_lowercase();
    let why = if DEPLOYMENT.contains(&lower.as_str()) || lower.starts_with("list") {
        format!("[{src}] is known only at deployment")
    } else {
        format!(
            "[{src}] is not evaluated ({name}() is not among the functions apim-probe evaluates)"
        )
    };
    Val::Unknown(Unknown::of(src, why))
}

/// Calls the function `name` (any case) on evaluated `args`; `src` is the call's source.
pub fn call(name: &str, args: &[Val], src: &str) -> Result<Val, String> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "concat" => return concat(args, src),
        "format" => return format(args, src),
        "resourceid" => return resource_id(args, src, true),
        "subscriptionresourceid" => return resource_id(args, src, false),
        "coalesce" => return Ok(coalesce(args, src)),
        _ => {}
    }
    if let Some(u) = args.iter().find_map(Val::unknown) {
        return Ok(Val::Unknown(Unknown {
            text: format!("[{src}]"),
            why: u.why.clone(),
        }));
    }
    match lower.as_str() {
        "true" | "false" | "null" => {
            arity(name, args, 0, 0)?;
            Ok(match lower.as_str() {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                _ => Val::Null,
            })
        }
        "length" | "empty" | "first" | "last" => collection(name, &lower, args, src),
        "createarray" => Ok(Val::Arr(args.to_vec())),
        "createobject" => create_object(args),
        "tolower" | "toupper" | "string" | "int" | "bool" | "json" => convert(name, &lower, args),
        "split" | "replace" => text(name, &lower, args),
        "equals" => equals(args, src),
        "not" | "and" | "or" => logic(name, &lower, args),
        "add" | "sub" | "mul" | "div" | "mod" => arithmetic(name, &lower, args),
        _ => Ok(not_evaluated(name, src)),
    }
}

fn coalesce(args: &[Val], src: &str) -> Val {
    for a in args {
        match a {
            Val::Null => {}
            Val::Unknown(u) => {
                return Val::Unknown(Unknown {
                    text: format!("[{src}]"),
                    why: u.why.clone(),
                });
            }
            v => return v.clone(),
        }
    }
    Val::Null
}

fn collection(name: &str, lower: &str, args: &[Val], src: &str) -> Result<Val, String> {
    arity(name, args, 1, 1)?;
    let v = &args[0];
    let items: Vec<Val> = match v {
        Val::Arr(a) => a.clone(),
        Val::Str(s) => s.chars().map(|c| Val::Str(c.to_string())).collect(),
        Val::Obj(m) if lower == "length" || lower == "empty" => {
            m.iter().map(|(_, v)| v.clone()).collect()
        }
        Val::Null if lower == "empty" => Vec::new(),
        _ => {
            return Err(format!(
                "{name}() expects a list or a string, found {}",
                v.kind()
            ));
        }
    };
    let count = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(match lower {
        "length" => Val::Int(count),
        "empty" => Val::Bool(items.is_empty()),
        _ if items.is_empty() => Val::Unknown(Unknown::of(
            src,
            format!("[{src}] is not evaluated ({name}() of nothing)"),
        )),
        "first" => items[0].clone(),
        _ => items[items.len() - 1].clone(),
    })
}

fn create_object(args: &[Val]) -> Result<Val, String> {
    if !args.len().is_multiple_of(2) {
        return Err("createObject() takes names and values in pairs".into());
    }
    let mut out = Vec::new();
    for pair in args.chunks(2) {
        out.push((
            string("createObject", &pair[0])?.to_owned(),
            pair[1].clone(),
        ));
    }
    Ok(Val::Obj(out))
}

fn convert(name: &str, lower: &str, args: &[Val]) -> Result<Val, String> {
    arity(name, args, 1, 1)?;
    let v = &args[0];
    Ok(match (lower, v) {
        ("tolower", _) => Val::Str(string(name, v)?.to_lowercase()),
        ("toupper", _) => Val::Str(string(name, v)?.to_uppercase()),
        ("string", Val::Bool(b)) => Val::Str(if *b { "True" } else { "False" }.into()),
        ("string", Val::Arr(_) | Val::Obj(_)) => {
            let json = v.to_json().map_err(|u| u.why.clone())?;
            Val::Str(json.to_string())
        }
        ("string", _) => Val::Str(
            v.text()
                .ok_or_else(|| format!("string() of {}", v.kind()))?,
        ),
        ("int", Val::Int(i)) => Val::Int(*i),
        ("int", Val::Str(s)) => Val::Int(
            s.trim()
                .parse()
                .map_err(|_| format!("int(): {s:?} is not a whole number"))?,
        ),
        ("bool", Val::Bool(b)) => Val::Bool(*b),
        ("bool", Val::Int(i)) if *i == 0 || *i == 1 => Val::Bool(*i == 1),
        ("bool", Val::Str(s)) if s.eq_ignore_ascii_case("true") => Val::Bool(true),
        ("bool", Val::Str(s)) if s.eq_ignore_ascii_case("false") => Val::Bool(false),
        ("json", Val::Str(s)) => Val::literal(
            &serde_json::from_str(s).map_err(|e| format!("json(): {s:?} is not JSON ({e})"))?,
        ),
        _ => return Err(format!("{name}() cannot convert {}", v.kind())),
    })
}

fn text(name: &str, lower: &str, args: &[Val]) -> Result<Val, String> {
    if lower == "split" {
        arity(name, args, 2, 2)?;
        let s = string(name, &args[0])?;
        let delims: Vec<&str> = match &args[1] {
            Val::Arr(a) => a
                .iter()
                .map(|d| string(name, d))
                .collect::<Result<_, _>>()?,
            d => vec![string(name, d)?],
        };
        let mut parts = vec![s.to_owned()];
        for d in delims.iter().filter(|d| !d.is_empty()) {
            parts = parts
                .iter()
                .flat_map(|p| p.split(d).map(str::to_owned))
                .collect();
        }
        return Ok(Val::Arr(parts.into_iter().map(Val::Str).collect()));
    }
    arity(name, args, 3, 3)?;
    let (s, old, new) = (
        string(name, &args[0])?,
        string(name, &args[1])?,
        string(name, &args[2])?,
    );
    if old.is_empty() {
        return Err("replace(): the text to replace is empty".into());
    }
    Ok(Val::Str(s.replace(old, new)))
}

fn equals(args: &[Val], src: &str) -> Result<Val, String> {
    arity("equals", args, 2, 2)?;
    if let (Val::Str(a), Val::Str(b)) = (&args[0], &args[1])
        && a != b
        && a.eq_ignore_ascii_case(b)
    {
        return Ok(Val::Unknown(Unknown::of(
            src,
            format!("[{src}] is not evaluated (strings that differ only in case)"),
        )));
    }
    Ok(Val::Bool(args[0] == args[1]))
}

fn logic(name: &str, lower: &str, args: &[Val]) -> Result<Val, String> {
    if lower == "not" {
        arity(name, args, 1, 1)?;
        return Ok(Val::Bool(!boolean(name, &args[0])?));
    }
    arity(name, args, 2, usize::MAX)?;
    let values = args
        .iter()
        .map(|a| boolean(name, a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Val::Bool(if lower == "and" {
        values.iter().all(|b| *b)
    } else {
        values.iter().any(|b| *b)
    }))
}

fn arithmetic(name: &str, lower: &str, args: &[Val]) -> Result<Val, String> {
    arity(name, args, 2, 2)?;
    let (a, b) = (int(name, &args[0])?, int(name, &args[1])?);
    let r = match lower {
        "add" => a.checked_add(b),
        "sub" => a.checked_sub(b),
        "mul" => a.checked_mul(b),
        "div" if b == 0 => return Err("div(): division by zero".into()),
        "mod" if b == 0 => return Err("mod(): division by zero".into()),
        "div" => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    r.map(Val::Int)
        .ok_or_else(|| format!("{name}(): the result does not fit"))
}
