//! What an expression evaluates to: Terraform's values (null, bool, number, string, list, map),
//! with what cannot be known before apply, or without the inputs Terraform would be given, kept
//! as an unknown that says why (`var.port has no default`), never a guess.

use std::collections::BTreeMap;

use serde_json::Value;

/// A value, known or not, in parts.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (Terraform's are arbitrary precision; ports and priorities fit a float).
    Num(f64),
    /// A string.
    Str(String),
    /// Lists, tuples and sets alike.
    List(Vec<V>),
    /// Maps and objects alike, their keys sorted as Terraform iterates them.
    Map(BTreeMap<String, V>),
    /// Not known, and why.
    Unknown(String),
}

impl V {
    /// A value not known, and why (`var.port has no default`).
    pub fn unknown(why: impl Into<String>) -> Self {
        Self::Unknown(why.into())
    }

    /// A count or an index (`length`, a list's positions) as a number. Past 2^32, more than any
    /// evaluation budget lets a list grow, it is unknown rather than rounded.
    pub fn count<N: TryInto<u32>>(n: N) -> Self {
        n.try_into().map_or_else(
            |_| Self::unknown("a count too large to evaluate"),
            |n| Self::Num(f64::from(n)),
        )
    }

    /// The first unknown inside (the value itself, an element, a member), if any.
    pub fn first_unknown(&self) -> Option<&str> {
        match self {
            Self::Unknown(why) => Some(why),
            Self::List(items) => items.iter().find_map(Self::first_unknown),
            Self::Map(m) => m.values().find_map(Self::first_unknown),
            _ => None,
        }
    }

    /// The value as Terraform writes it into a string template; `Err` with the unknown when
    /// it is not known or not a primitive.
    pub fn to_text(&self) -> Result<String, V> {
        match self {
            Self::Str(s) => Ok(s.clone()),
            Self::Num(n) => Ok(number_text(*n)),
            Self::Bool(b) => Ok(b.to_string()),
            Self::Unknown(_) => Err(self.clone()),
            Self::Null => Err(V::unknown("a null value in a string template")),
            Self::List(_) | Self::Map(_) => Err(V::unknown(format!(
                "a {} in a string template",
                self.type_name()
            ))),
        }
    }

    /// A number, when the value is one or a string that reads as one (Terraform converts).
    pub fn to_number(&self) -> Option<f64> {
        match self {
            Self::Num(n) => Some(*n),
            Self::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            _ => None,
        }
    }

    /// A boolean, when the value is one or the string `"true"`/`"false"`.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Str(s) if s == "true" => Some(true),
            Self::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// The type's name, for the reasons of unknowns (`arithmetic on a string and a list`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "bool",
            Self::Num(_) => "number",
            Self::Str(_) => "string",
            Self::List(_) => "list",
            Self::Map(_) => "map",
            Self::Unknown(_) => "unknown value",
        }
    }

    /// How much the value weighs (elements and characters), for the evaluation budget.
    pub fn weight(&self) -> usize {
        match self {
            Self::Str(s) | Self::Unknown(s) => 1 + s.len(),
            Self::List(items) => 1 + items.iter().map(Self::weight).sum::<usize>(),
            Self::Map(m) => 1 + m.iter().map(|(k, v)| k.len() + v.weight()).sum::<usize>(),
            _ => 1,
        }
    }

    /// As JSON; unknown parts become `null` (their reasons are kept apart, by path).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Null | Self::Unknown(_) => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Num(n) => number_json(*n),
            Self::Str(s) => Value::String(s.clone()),
            Self::List(items) => Value::Array(items.iter().map(Self::to_json).collect()),
            Self::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// From JSON (a `.tfvars.json` file).
    pub fn from_json(v: &Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Self::Null, Self::Num),
            Value::String(s) => Self::Str(s.clone()),
            Value::Array(a) => Self::List(a.iter().map(Self::from_json).collect()),
            Value::Object(m) => Self::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Whole numbers as integers (`100`, not `100.0`), as Terraform prints them.
pub fn number_text(n: f64) -> String {
    if let Some(i) = whole(n) {
        i.to_string()
    } else {
        n.to_string()
    }
}

fn number_json(n: f64) -> Value {
    whole(n).map_or_else(
        || serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
        |i| Value::Number(i.into()),
    )
}

/// The number as an integer, when it is one that fits.
pub fn whole(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact
    // The one cast left: std has no checked f64 → i64, and the test before it makes it exact
    // (a whole number under 2^53 in magnitude), so nothing is truncated.
    #[allow(clippy::cast_possible_truncation)]
    (n.fract() == 0.0 && n.abs() < LIMIT).then_some(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_terraform_does() {
        assert_eq!(V::Num(110.0).to_text().unwrap(), "110");
        assert_eq!(V::Num(1.5).to_text().unwrap(), "1.5");
        assert_eq!(V::Num(3443.0).to_json(), serde_json::json!(3443));
    }

    #[test]
    fn the_first_unknown_is_found_inside() {
        let v = V::List(vec![V::Str("a".into()), V::unknown("var.x has no default")]);
        assert_eq!(v.first_unknown(), Some("var.x has no default"));
        assert_eq!(v.to_json(), serde_json::json!(["a", null]));
        assert!(V::Null.to_text().is_err());
    }
}
