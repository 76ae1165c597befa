//! The functions that build names and ids — `concat`, `format`, `resourceId`,
//! `subscriptionResourceId` — whose unknown parts stay written as their expressions, so that two
//! values computed the same way still match (a subnet finds the NSG it names).

use std::fmt::Write as _;

use super::args::{arity, string};
use super::val::{Unknown, Val};

/// Text whose unknown parts are written as their expressions.
fn partial(parts: &[Val], joined: String) -> Val {
    match parts.iter().find_map(Val::unknown) {
        Some(u) => Val::Unknown(Unknown {
            text: joined,
            why: u.why.clone(),
        }),
        None => Val::Str(joined),
    }
}

/// `concat(…)`: strings joined (unknown parts kept as their expressions), or lists.
pub fn concat(args: &[Val], src: &str) -> Result<Val, String> {
    arity("concat", args, 1, usize::MAX)?;
    if args.iter().any(|a| matches!(a, Val::Arr(_))) {
        let mut out = Vec::new();
        for a in args {
            match a {
                Val::Arr(items) => out.extend(items.iter().cloned()),
                Val::Unknown(u) => {
                    return Ok(Val::Unknown(Unknown {
                        text: format!("[{src}]"),
                        why: u.why.clone(),
                    }));
                }
                other => {
                    return Err(format!(
                        "concat() joins strings or lists, not both (found {})",
                        other.kind()
                    ));
                }
            }
        }
        return Ok(Val::Arr(out));
    }
    let mut joined = String::new();
    for a in args {
        match a.text() {
            Some(t) => joined.push_str(&t),
            None => {
                return Ok(Val::Unknown(Unknown::of(
                    src,
                    format!("[{src}] is not evaluated (concat() of {})", a.kind()),
                )));
            }
        }
    }
    Ok(partial(args, joined))
}

/// `format('{0}-{1}', a, b)`: .NET composite formatting without format specifiers.
pub fn format(args: &[Val], src: &str) -> Result<Val, String> {
    arity("format", args, 1, usize::MAX)?;
    let fmt = match &args[0] {
        Val::Unknown(u) => return Ok(Val::Unknown(Unknown::of(src, u.why.clone()))),
        v => string("format", v)?,
    };
    let unsure = |why: &str| Ok(Val::Unknown(Unknown::of(src, format!("[{src}] {why}"))));
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut hole = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(x) => hole.push(x),
                        None => return Err(format!("format(): {fmt:?} has a {{ without its }}")),
                    }
                }
                if hole.contains([':', ',']) {
                    return unsure("is not evaluated (a format specifier)");
                }
                let i: usize = hole
                    .trim()
                    .parse()
                    .map_err(|_| format!("format(): {{{hole}}} in {fmt:?} is not an argument"))?;
                let arg = args.get(i + 1).ok_or_else(|| {
                    format!(
                        "format(): {fmt:?} uses argument {i}, given {}",
                        args.len() - 1
                    )
                })?;
                match arg {
                    Val::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
                    v => match v.text() {
                        Some(t) => out.push_str(&t),
                        None => {
                            return unsure(&format!("is not evaluated (format() of {})", v.kind()));
                        }
                    },
                }
            }
            '}' => return Err(format!("format(): {fmt:?} has a }} without its {{")),
            c => out.push(c),
        }
    }
    Ok(partial(&args[1..], out))
}

/// `resourceId([subscriptionId], [resourceGroupName], type, name1, …)` (`rg` false:
/// `subscriptionResourceId([subscriptionId], type, name1, …)`). The subscription and resource
/// group not given are written `{subscription}` and `{resourceGroup}`: the id is a key.
pub fn resource_id(args: &[Val], src: &str, rg: bool) -> Result<Val, String> {
    let name = if rg {
        "resourceId"
    } else {
        "subscriptionResourceId"
    };
    let unknown = |why: &str| Ok(Val::Unknown(Unknown::of(src, why)));
    let mut texts = Vec::new();
    for a in args {
        match a.text() {
            Some(t) => texts.push(t),
            None => return Err(format!("{name}() expects strings, found {}", a.kind())),
        }
    }
    let first_unknown = args.iter().find_map(Val::unknown).map(|u| u.why.clone());
    let Some(at) = args
        .iter()
        .position(|a| a.as_str().is_some_and(|s| s.contains('/')))
    else {
        return match first_unknown {
            Some(why) => unknown(&why),
            None => Err(format!("{name}() names no resource type (Namespace/type)")),
        };
    };
    let scope = &texts[..at];
    let (sub, group) = match (rg, scope) {
        (_, []) => ("{subscription}", "{resourceGroup}"),
        (true, [g]) => ("{subscription}", g.as_str()),
        (true, [s, g]) => (s.as_str(), g.as_str()),
        (false, [s]) => (s.as_str(), ""),
        _ => return Err(format!("{name}(): too many arguments before the type")),
    };
    let mut kinds = texts[at].trim_matches('/').split('/');
    let namespace = kinds.next().unwrap_or_default();
    let kinds: Vec<&str> = kinds.collect();
    let joined = texts[at + 1..].join("/");
    let names: Vec<&str> = joined.split('/').filter(|n| !n.is_empty()).collect();
    if kinds.is_empty() || names.len() != kinds.len() {
        return match first_unknown {
            Some(why) => unknown(&why),
            None => Err(format!(
                "{name}(): type {} takes {} name(s), given {}",
                texts[at],
                kinds.len(),
                names.len()
            )),
        };
    }
    let mut id = format!("/subscriptions/{sub}");
    if rg {
        let _ = write!(id, "/resourceGroups/{group}");
    }
    let _ = write!(id, "/providers/{namespace}");
    for (k, n) in kinds.iter().zip(&names) {
        let _ = write!(id, "/{k}/{n}");
    }
    Ok(partial(args, id))
}
