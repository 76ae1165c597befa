//! Reaching into values: a template object's member (names in any case, as ARM reads them), a
//! value's `.name` or `[index]`, the index of a copy loop, and how large a value has grown.

use serde_json::Value;

use super::val::{Unknown, Val};

/// The copy loops being run: each loop's name and index, outermost first.
pub type Loops = Vec<(String, i64)>;

/// A member of a template object, its name in any case.
pub fn member<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, x)| x)
}

/// `.name` or `[index]` of a value.
pub fn step(base: &Val, index: &Val, text: &str) -> Result<Val, String> {
    match (base, index) {
        (Val::Unknown(u), _) | (_, Val::Unknown(u)) => Ok(Val::Unknown(Unknown {
            text: format!("[{text}]"),
            why: u.why.clone(),
        })),
        (Val::Arr(a), Val::Int(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| a.get(i))
            .cloned()
            .ok_or_else(|| format!("index {i} is outside the list ({} items)", a.len())),
        (Val::Obj(_), Val::Str(k)) => base
            .get(k)
            .cloned()
            .ok_or_else(|| format!("the object has no member {k:?}")),
        (b, i) => Err(format!("cannot take {} of {}", i.kind(), b.kind())),
    }
}

/// `copyIndex([loopName], [offset])`.
pub fn copy_index(args: &[Val], loops: &Loops) -> Result<Val, String> {
    let (name, offset) = match args {
        [] => (None, 0),
        [Val::Int(o)] => (None, *o),
        [Val::Str(n)] => (Some(n.as_str()), 0),
        [Val::Str(n), Val::Int(o)] => (Some(n.as_str()), *o),
        [Val::Unknown(u), ..] | [_, Val::Unknown(u)] => {
            return Ok(Val::Unknown(u.clone()));
        }
        _ => return Err("copyIndex() takes a loop name and an offset".into()),
    };
    let found = match name {
        None => loops.first(),
        Some(n) => loops.iter().rev().find(|(l, _)| l.eq_ignore_ascii_case(n)),
    };
    match found {
        Some((_, i)) => i
            .checked_add(offset)
            .map(Val::Int)
            .ok_or_else(|| "the index does not fit".into()),
        None => Err(match name {
            Some(n) => format!("no copy loop named {n} here"),
            None => "copyIndex() outside a copy loop".into(),
        }),
    }
}

/// How large a value is (string bytes and members), counted up to `limit`.
pub fn weight(v: &Val, limit: usize) -> usize {
    match v {
        Val::Str(s) => s.len(),
        Val::Unknown(u) => u.text.len(),
        Val::Arr(a) => {
            let mut w = a.len();
            for x in a {
                if w >= limit {
                    break;
                }
                w += weight(x, limit - w);
            }
            w
        }
        Val::Obj(m) => {
            let mut w = m.len();
            for (k, x) in m {
                if w >= limit {
                    break;
                }
                w += k.len() + weight(x, limit.saturating_sub(w + k.len()));
            }
            w
        }
        _ => 1,
    }
}
