//! The values of template expressions: JSON's, or unknown — what cannot be evaluated before
//! deployment (a parameter without a value, `resourceGroup()`, `uniqueString(…)`), named.

use serde_json::{Map, Number, Value};

/// A value a template expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number (the only numbers expressions have).
    Int(i64),
    /// Any other JSON number, as written in the template.
    Num(Number),
    /// A string.
    Str(String),
    /// A list.
    Arr(Vec<Val>),
    /// An object: members in order, names matched case-insensitively (as ARM does).
    Obj(Vec<(String, Val)>),
    /// Not known before deployment.
    Unknown(Unknown),
}

/// A value that is not known before deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The value as text, each part that is not known written as its expression in brackets
    /// (`apimnsg[uniqueString(resourceGroup().id)]`): two values computed the same way have the
    /// same text, which links a subnet to the NSG it names without guessing either's name.
    pub text: String,
    /// Why: the first expression that has no value, and why (`[parameters('x')] has no value`).
    pub why: String,
}

impl Unknown {
    /// An unknown whose text is the expression `src` itself.
    pub fn of(src: &str, why: impl Into<String>) -> Self {
        Self {
            text: format!("[{src}]"),
            why: why.into(),
        }
    }
}

impl Val {
    /// A JSON value as it is, nothing evaluated (a parameters file's values).
    pub fn literal(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => n.as_i64().map_or_else(|| Val::Num(n.clone()), Val::Int),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::Arr(a.iter().map(Val::literal).collect()),
            Value::Object(m) => Val::Obj(
                m.iter()
                    .map(|(k, v)| (k.clone(), Val::literal(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON, or the first part of it that is not known.
    pub fn to_json(&self) -> Result<Value, &Unknown> {
        Ok(match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Num(n) => Value::Number(n.clone()),
            Val::Str(s) => Value::String(s.clone()),
            Val::Arr(a) => Value::Array(a.iter().map(Val::to_json).collect::<Result<_, _>>()?),
            Val::Obj(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.clone(), v.to_json()?);
                }
                Value::Object(out)
            }
            Val::Unknown(u) => return Err(u),
        })
    }

    /// The first part of the value that is not known, if any.
    pub fn unknown(&self) -> Option<&Unknown> {
        self.to_json().err()
    }

    /// The member `key` of an object (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Obj(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text with its unknown parts as their expressions (names and keys).
    pub fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Unknown(u) => Some(u.text.clone()),
            _ => None,
        }
    }

    /// What the value is, for messages ("expected a string, found a list").
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Int(_) | Val::Num(_) => "a number",
            Val::Str(_) => "a string",
            Val::Arr(_) => "a list",
            Val::Obj(_) => "an object",
            Val::Unknown(_) => "a value not known before deployment",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_go_and_come_back() {
        let v = json!({"a": [1, "x", true, null, 1.5], "B": {"c": -2}});
        let val = Val::literal(&v);
        assert_eq!(val.to_json().unwrap(), v);
        assert_eq!(val.get("b").and_then(|b| b.get("C")), Some(&Val::Int(-2)));
    }

    #[test]
    fn an_unknown_part_is_found() {
        let u = Unknown::of("parameters('x')", "[parameters('x')] has no value");
        let v = Val::Arr(vec![Val::Int(1), Val::Unknown(u.clone())]);
        assert_eq!(v.unknown(), Some(&u));
        assert_eq!(u.text, "[parameters('x')]");
    }
}
