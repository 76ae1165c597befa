//! Terraform's built-in functions that network code uses on values it knows (`length`,
//! `lookup`, `element`, `concat`, `merge`, `format`, `cidrsubnet`…). Any other function, and any
//! call with an argument not known, gives an unknown naming it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::value::{V, number_text, whole};

/// Elements `range` may produce.
const MAX_RANGE: usize = 1024;

/// The functions that go through their arguments in order themselves, stopping at the first
/// that decides (so an unknown after it does not matter, as in Terraform).
const IN_ORDER: &[&str] = &["try", "can", "coalesce", "coalescelist", "one"];

/// The functions that only move elements about: they give what they know of a list or map with
/// unknown elements (`length([var.x])` is 1), carrying the unknown parts along. Every other
/// function reads its arguments whole, so any unknown part makes its result unknown.
const PARTS_MAY_BE_UNKNOWN: &[&str] = &[
    "length", "lookup", "element", "keys", "values", "concat", "merge", "tolist", "tomap",
    "reverse",
];

/// Calls `name` with its arguments, evaluated. A result not known names why: the unknown
/// argument's reason, the function not evaluated here, or arguments it cannot take.
pub fn call(name: &str, args: Vec<V>) -> V {
    if IN_ORDER.contains(&name) {
        return choose(name, args);
    }
    let unknown = if PARTS_MAY_BE_UNKNOWN.contains(&name) {
        args.iter().find_map(|a| match a {
            V::Unknown(why) => Some(why.as_str()),
            _ => None,
        })
    } else {
        args.iter().find_map(V::first_unknown)
    };
    if let Some(why) = unknown {
        return V::unknown(why);
    }
    let out = match name {
        "length" | "lookup" | "element" | "contains" | "keys" | "values" | "index" => {
            collections(name, &args)
        }
        "concat" | "merge" | "flatten" | "distinct" | "compact" | "tolist" | "toset" | "tomap"
        | "sort" | "reverse" | "zipmap" | "range" => build(name, args),
        "tostring" | "tonumber" | "tobool" | "lower" | "upper" | "trimspace" | "join" | "split"
        | "replace" | "substr" | "startswith" | "endswith" | "format" => text(name, &args),
        "abs" | "max" | "min" | "floor" | "ceil" => numbers(name, &args),
        "cidrsubnet" | "cidrhost" => cidr(name, &args),
        _ => return V::unknown(format!("function {name}() is not evaluated")),
    };
    out.unwrap_or_else(|| wrong(name))
}

/// Why a call gave nothing: its arguments are not of the types, or the number, it takes.
fn wrong(name: &str) -> V {
    V::unknown(format!("{name}(): arguments it cannot take"))
}

/// `try`, `can`, `coalesce`, `coalescelist` and `one`, each deciding on its arguments in order.
fn choose(name: &str, args: Vec<V>) -> V {
    let mut args = args.into_iter();
    match name {
        // An unknown may stand for an error Terraform would fall back from (`var.o.missing`) or
        // for a value known only at apply (not fallen back from): the two are not told apart
        // here, so `try` and `can` over an unknown stay unknown rather than guess either way.
        "try" => args.next().map_or_else(
            || wrong(name),
            |first| match first.first_unknown() {
                Some(why) => V::unknown(format!("try(): {why}")),
                None => first,
            },
        ),
        "can" => args.next().map_or_else(
            || wrong(name),
            |first| match first.first_unknown() {
                Some(why) => V::unknown(format!("can(): {why}")),
                None => V::Bool(true),
            },
        ),
        "coalesce" => {
            for a in args {
                if let Some(why) = a.first_unknown() {
                    return V::unknown(format!("coalesce(): {why}"));
                }
                if !matches!(a, V::Null) && a != V::Str(String::new()) {
                    return a;
                }
            }
            V::unknown("coalesce(): no argument is set")
        }
        "coalescelist" => {
            for a in args {
                match a {
                    V::Unknown(why) => return V::unknown(format!("coalescelist(): {why}")),
                    V::List(l) if l.is_empty() => {}
                    V::List(_) => return a,
                    _ => return wrong(name),
                }
            }
            V::unknown("coalescelist(): every list is empty")
        }
        _ => match (args.next(), args.next()) {
            (Some(V::Unknown(why)), None) => V::Unknown(why),
            (Some(V::List(l)), None) if l.len() <= 1 => l.into_iter().next().unwrap_or(V::Null),
            _ => wrong(name),
        },
    }
}

fn collections(name: &str, args: &[V]) -> Option<V> {
    let count = V::count::<usize>;
    match (name, args) {
        ("length", [V::List(l)]) => Some(count(l.len())),
        ("length", [V::Map(m)]) => Some(count(m.len())),
        ("length", [V::Str(s)]) => Some(count(s.chars().count())),
        ("lookup", [V::Map(m), key, rest @ ..]) if rest.len() <= 1 => {
            let key = key.to_text().ok()?;
            Some(
                m.get(&key).or(rest.first()).cloned().unwrap_or_else(|| {
                    V::unknown(format!("lookup(): no key {key:?} and no default"))
                }),
            )
        }
        ("element", [V::List(l), i]) if !l.is_empty() => {
            let i = i.to_number().and_then(whole)?;
            let len = i64::try_from(l.len()).ok()?;
            l.get(usize::try_from(i.rem_euclid(len)).ok()?).cloned()
        }
        ("contains", [V::List(l), v]) => Some(V::Bool(l.contains(v))),
        ("index", [V::List(l), v]) => l.iter().position(|x| x == v).map(count),
        ("keys", [V::Map(m)]) => Some(V::List(m.keys().cloned().map(V::Str).collect())),
        ("values", [V::Map(m)]) => Some(V::List(m.values().cloned().collect())),
        _ => None,
    }
}

fn build(name: &str, args: Vec<V>) -> Option<V> {
    match (name, args.as_slice()) {
        ("concat", _) => {
            let mut out = Vec::new();
            for a in args {
                let V::List(l) = a else { return None };
                out.extend(l);
            }
            Some(V::List(out))
        }
        ("merge", _) => {
            let mut out = BTreeMap::new();
            for a in args {
                match a {
                    V::Map(m) => out.extend(m),
                    V::Null => {}
                    _ => return None,
                }
            }
            Some(V::Map(out))
        }
        ("flatten", [V::List(l)]) => Some(V::List(flatten(l))),
        ("distinct" | "toset", [V::List(l)]) => Some(V::List(distinct(l, name == "toset"))),
        ("compact", [V::List(l)]) => Some(V::List(
            l.iter()
                .filter(|v| !matches!(v, V::Null) && **v != V::Str(String::new()))
                .cloned()
                .collect(),
        )),
        ("tolist", [V::List(_)]) | ("tomap", [V::Map(_)]) => args.into_iter().next(),
        ("sort", [V::List(l)]) => {
            let mut texts: Vec<String> = l.iter().map(V::to_text).collect::<Result<_, _>>().ok()?;
            texts.sort();
            Some(V::List(texts.into_iter().map(V::Str).collect()))
        }
        ("reverse", [V::List(l)]) => Some(V::List(l.iter().rev().cloned().collect())),
        ("zipmap", [V::List(k), V::List(v)]) if k.len() == v.len() => {
            let keys: Vec<String> = k.iter().map(V::to_text).collect::<Result<_, _>>().ok()?;
            Some(V::Map(keys.into_iter().zip(v.iter().cloned()).collect()))
        }
        ("range", _) => range(&args),
        _ => None,
    }
}

fn flatten(l: &[V]) -> Vec<V> {
    l.iter()
        .flat_map(|v| match v {
            V::List(inner) => flatten(inner),
            other => vec![other.clone()],
        })
        .collect()
}

/// Distinct elements in order; a set of strings iterates sorted, as Terraform's does.
fn distinct(l: &[V], set: bool) -> Vec<V> {
    let mut out: Vec<V> = Vec::new();
    for v in l {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    if set && out.iter().all(|v| matches!(v, V::Str(_))) {
        out.sort_by_key(|a| a.to_text().ok());
    }
    out
}

fn range(args: &[V]) -> Option<V> {
    let n: Vec<f64> = args.iter().map(V::to_number).collect::<Option<_>>()?;
    let (start, end, step) = match n.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
        [start, end, step] if *step != 0.0 => (*start, *end, *step),
        _ => return None,
    };
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() >= MAX_RANGE {
            return Some(V::unknown(format!("range(): over {MAX_RANGE} elements")));
        }
        out.push(V::Num(x));
        x += step;
    }
    Some(V::List(out))
}

fn text(name: &str, args: &[V]) -> Option<V> {
    let s = |i: usize| args.get(i).and_then(|v| v.to_text().ok());
    let out = match (name, args.len()) {
        ("tostring", 1) => V::Str(s(0)?),
        ("tonumber", 1) => V::Num(args[0].to_number()?),
        ("tobool", 1) => V::Bool(args[0].to_bool()?),
        ("lower", 1) => V::Str(s(0)?.to_lowercase()),
        ("upper", 1) => V::Str(s(0)?.to_uppercase()),
        ("trimspace", 1) => V::Str(s(0)?.trim().to_owned()),
        ("startswith", 2) => V::Bool(s(0)?.starts_with(&s(1)?)),
        ("endswith", 2) => V::Bool(s(0)?.ends_with(&s(1)?)),
        ("join", 2) => {
            let V::List(l) = &args[1] else {
                return None;
            };
            let parts: Vec<String> = l.iter().map(V::to_text).collect::<Result<_, _>>().ok()?;
            V::Str(parts.join(&s(0)?))
        }
        ("split", 2) => V::List(
            s(1)?
                .split(s(0)?.as_str())
                .map(|p| V::Str(p.to_owned()))
                .collect(),
        ),
        ("replace", 3) => {
            let from = s(1)?;
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Some(V::unknown(
                    "replace() with a regular expression is not evaluated",
                ));
            }
            V::Str(s(0)?.replace(&from, &s(2)?))
        }
        ("substr", 3) => substr(
            &s(0)?,
            whole(args[1].to_number()?)?,
            whole(args[2].to_number()?)?,
        )?,
        ("format", n) if n >= 1 => format(&s(0)?, &args[1..])?,
        _ => return None,
    };
    Some(out)
}

/// `substr(s, offset, length)` in characters; a negative offset counts from the end, a negative
/// length runs to the end.
fn substr(s: &str, offset: i64, length: i64) -> Option<V> {
    let chars: Vec<char> = s.chars().collect();
    let len = i64::try_from(chars.len()).ok()?;
    let start = if offset < 0 { len + offset } else { offset }.clamp(0, len);
    let end = if length < 0 {
        len
    } else {
        start.saturating_add(length).min(len)
    };
    let (start, end) = (
        usize::try_from(start).ok()?,
        usize::try_from(end.max(start)).ok()?,
    );
    Some(V::Str(chars[start..end].iter().collect()))
}

/// `format` with the verbs `%s`, `%d`, `%v` and `%%`; any other verb is not evaluated.
fn format(spec: &str, args: &[V]) -> Option<V> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'v') => out.push_str(&next.next()?.to_text().ok()?),
            Some('d') => out.push_str(&number_text(next.next()?.to_number()?.trunc())),
            _ => {
                return Some(V::unknown(format!(
                    "format({spec:?}): a verb not evaluated"
                )));
            }
        }
    }
    Some(V::Str(out))
}

fn numbers(name: &str, args: &[V]) -> Option<V> {
    let n: Vec<f64> = args.iter().map(V::to_number).collect::<Option<_>>()?;
    let out = match (name, n.as_slice()) {
        ("abs", [x]) => x.abs(),
        ("floor", [x]) => x.floor(),
        ("ceil", [x]) => x.ceil(),
        ("max", [first, ..]) => n.iter().copied().fold(*first, f64::max),
        ("min", [first, ..]) => n.iter().copied().fold(*first, f64::min),
        _ => return None,
    };
    Some(V::Num(out))
}

/// `cidrsubnet(prefix, newbits, netnum)` and `cidrhost(prefix, hostnum)`.
fn cidr(name: &str, args: &[V]) -> Option<V> {
    let prefix: ipnet::IpNet = args.first()?.to_text().ok()?.parse().ok()?;
    let nums: Vec<i64> = args[1..]
        .iter()
        .map(|a| a.to_number().and_then(whole))
        .collect::<Option<_>>()?;
    let max = u32::from(prefix.max_prefix_len());
    let len = u32::from(prefix.prefix_len());
    let base = match prefix.network() {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    let (new_len, offset) = match (name, nums.as_slice()) {
        ("cidrsubnet", [bits, num]) => {
            let new_len = len + u32::try_from(*bits).ok()?;
            let num = u128::try_from(*num).ok()?;
            if new_len > max || num >= 1u128.checked_shl(new_len - len)? {
                return None;
            }
            (new_len, num.checked_shl(max - new_len)?)
        }
        ("cidrhost", [host]) => {
            let host = u128::try_from(*host).ok()?;
            if host >= 1u128.checked_shl(max - len).unwrap_or(u128::MAX) {
                return None;
            }
            (max, host)
        }
        _ => return None,
    };
    let addr = base + offset;
    let ip = match prefix {
        ipnet::IpNet::V4(_) => IpAddr::from(u32::try_from(addr).ok()?.to_be_bytes()),
        ipnet::IpNet::V6(_) => IpAddr::from(addr.to_be_bytes()),
    };
    Some(V::Str(if name == "cidrhost" {
        ip.to_string()
    } else {
        format!("{ip}/{new_len}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> V {
        V::Str(x.into())
    }

    #[test]
    fn functions_on_known_values() {
        assert_eq!(
            call(
                "cidrsubnet",
                vec![s("10.2.0.0/16"), V::Num(8.0), V::Num(7.0)]
            ),
            s("10.2.7.0/24")
        );
        assert_eq!(
            call("cidrhost", vec![s("10.2.7.0/24"), V::Num(4.0)]),
            s("10.2.7.4")
        );
        assert_eq!(
            call("element", vec![V::List(vec![s("a"), s("b")]), V::Num(3.0)]),
            s("b")
        );
        assert_eq!(
            call("format", vec![s("%s-%d%%"), s("a"), V::Num(5.0)]),
            s("a-5%")
        );
        assert_eq!(
            call("length", vec![V::List(vec![V::unknown("x")])]),
            V::Num(1.0)
        );
        assert_eq!(
            call("toset", vec![V::List(vec![s("b"), s("a"), s("b")])]),
            V::List(vec![s("a"), s("b")])
        );
    }

    #[test]
    fn what_is_not_known_stays_so_and_says_why() {
        let x = || V::unknown("var.x has no default");
        // A function reading its argument whole: the argument's own reason.
        assert_eq!(call("join", vec![s(","), V::List(vec![s("a"), x()])]), x());
        assert_eq!(call("contains", vec![V::List(vec![x()]), s("a")]), x());
        // `can` over an unknown is not false (the value may well be there at apply).
        assert_eq!(
            call("can", vec![x()]),
            V::unknown("can(): var.x has no default")
        );
        assert_eq!(call("can", vec![s("a")]), V::Bool(true));
        // `coalesce` stops at the first argument set: an unknown after it does not matter.
        assert_eq!(call("coalesce", vec![V::Null, s("a"), x()]), s("a"));
        assert_eq!(
            call("coalesce", vec![x(), s("a")]),
            V::unknown("coalesce(): var.x has no default")
        );
        assert_eq!(call("try", vec![s("443"), x()]), s("443"));
        assert_eq!(call("one", vec![x()]), x());
        assert_eq!(
            call("upper", vec![V::Num(1.0), s("b")]),
            V::unknown("upper(): arguments it cannot take")
        );
        assert_eq!(
            call("lower", vec![V::unknown("var.x has no default")]),
            V::unknown("var.x has no default")
        );
        assert_eq!(
            call("file", vec![s("x")]),
            V::unknown("function file() is not evaluated")
        );
        assert_eq!(
            call("try", vec![V::unknown("var.p has no default"), s("443")]),
            V::unknown("try(): var.p has no default")
        );
    }
}
