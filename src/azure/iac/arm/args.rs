//! The arguments of template functions: how many a function takes and of what type, with the
//! message ARM's own refusal would give.

use super::val::Val;

/// Checks the number of arguments `name()` was given.
pub fn arity(name: &str, args: &[Val], min: usize, max: usize) -> Result<(), String> {
    if (min..=max).contains(&args.len()) {
        return Ok(());
    }
    let wanted = if min == max {
        format!("{min}")
    } else if max == usize::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    };
    Err(format!(
        "{name}() takes {wanted} argument(s), given {}",
        args.len()
    ))
}

/// An argument that must be a string.
pub fn string<'a>(name: &str, v: &'a Val) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{name}() expects a string, found {}", v.kind()))
}

/// An argument that must be a whole number.
pub fn int(name: &str, v: &Val) -> Result<i64, String> {
    match v {
        Val::Int(i) => Ok(*i),
        _ => Err(format!(
            "{name}() expects a whole number, found {}",
            v.kind()
        )),
    }
}

/// An argument that must be a boolean.
pub fn boolean(name: &str, v: &Val) -> Result<bool, String> {
    match v {
        Val::Bool(b) => Ok(*b),
        _ => Err(format!("{name}() expects a boolean, found {}", v.kind())),
    }
}
