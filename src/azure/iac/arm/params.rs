//! A template's parameters: what it declares (`type`, `defaultValue`, `allowedValues`) and the
//! values given to it — by a parameters file (`deploymentParameters` schema: `parameters.NAME.
//! value`, or a Key Vault `reference`, whose value is not known), or by the template that
//! deploys it (a nested deployment). Names are matched case-insensitively, as ARM does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::val::{Unknown, Val};
use crate::azure::InputError;
use crate::azure::iac::lines::child;

/// A value given to a parameter.
#[derive(Debug, Clone)]
pub enum Given {
    /// From a parameters file: the value, the file and the JSON pointer of `value` there.
    File(Val, PathBuf, String),
    /// From the deploying template (already evaluated there), with where it is written.
    Outer(Val, PathBuf, String),
}

impl Given {
    /// The value.
    pub fn val(&self) -> &Val {
        match self {
            Given::File(v, ..) | Given::Outer(v, ..) => v,
        }
    }

    /// An error where the value is written.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        match self {
            Given::File(_, f, p) | Given::Outer(_, f, p) => InputError::new(f, path_of(p), message),
        }
    }
}

/// The values of a parameters file, by lower-case name (with the name as written).
pub type GivenValues = BTreeMap<String, (String, Given)>;

/// Reads a parameters file.
pub fn from_file(file: &Path, doc: &Value) -> Result<GivenValues, InputError> {
    let err = |ptr: &str, m: &str| InputError::new(file, path_of(ptr), m);
    let Some(root) = doc.as_object() else {
        return Err(err("", "a parameters file is an object"));
    };
    let params = match root
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("parameters"))
    {
        Some((_, Value::Object(m))) => m,
        Some(_) => return Err(err("/parameters", "expected an object of parameters")),
        None => return Err(err("", "missing field `parameters`")),
    };
    let mut out = GivenValues::new();
    for (name, entry) in params {
        let ptr = child("/parameters", name);
        let Some(obj) = entry.as_object() else {
            return Err(err(
                &ptr,
                "expected an object with `value` (or a Key Vault `reference`)",
            ));
        };
        let member = |k: &str| obj.iter().find(|(m, _)| m.eq_ignore_ascii_case(k));
        let given = if let Some((k, v)) = member("value") {
            Given::File(Val::literal(v), file.to_owned(), child(&ptr, k))
        } else if let Some((k, _)) = member("reference") {
            let src = format!("parameters('{name}')");
            let why = format!("[{src}] is a Key Vault reference, read at deployment");
            Given::File(
                Val::Unknown(Unknown::of(&src, why)),
                file.to_owned(),
                child(&ptr, k),
            )
        } else {
            return Err(err(&ptr, "expected `value` (or a Key Vault `reference`)"));
        };
        if out
            .insert(name.to_ascii_lowercase(), (name.clone(), given))
            .is_some()
        {
            return Err(err(
                &ptr,
                "a second parameter of this name (names ignore case)",
            ));
        }
    }
    Ok(out)
}

/// The parameters a template declares, by lower-case name: the name as written, the
/// declaration and its JSON pointer (`root` is the template's own pointer in `file`).
pub fn declared<'a>(
    file: &Path,
    template: &'a Value,
    root: &str,
) -> Result<BTreeMap<String, (String, &'a Value, String)>, InputError> {
    let err = |ptr: &str, m: &str| InputError::new(file, path_of(ptr), m);
    let mut decls = BTreeMap::new();
    let found = template
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("parameters")));
    match found.map(|(_, v)| v) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (name, decl) in m {
                let ptr = child(&child(root, "parameters"), name);
                check_declaration(decl).map_err(|(at, m)| err(&format!("{ptr}{at}"), &m))?;
                decls.insert(name.to_ascii_lowercase(), (name.clone(), decl, ptr));
            }
        }
        Some(_) => {
            let at = child(root, "parameters");
            return Err(err(&at, "expected an object of parameters"));
        }
    }
    Ok(decls)
}

/// Checks a parameter's value against its declaration (`type`, `allowedValues`): the message of
/// what is wrong, if anything.
pub fn check(decl: &Value, v: &Val) -> Option<String> {
    if matches!(v, Val::Unknown(_)) {
        return None;
    }
    let field = |k: &str| {
        decl.as_object()
            .and_then(|m| m.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v)
    };
    if let Some(t) = field("type").and_then(Value::as_str) {
        let fits = match t.to_ascii_lowercase().as_str() {
            "string" | "securestring" => matches!(v, Val::Str(_)),
            "int" => matches!(v, Val::Int(_)),
            "bool" => matches!(v, Val::Bool(_)),
            "array" => matches!(v, Val::Arr(_)),
            "object" | "secureobject" => matches!(v, Val::Obj(_)),
            _ => true,
        };
        if !fits {
            return Some(format!("expected {}, found {}", type_words(t), v.kind()));
        }
    }
    if let Some(Value::Array(allowed)) = field("allowedValues") {
        let ok = match v {
            Val::Arr(items) => items
                .iter()
                .all(|i| allowed.iter().any(|a| Val::literal(a) == *i)),
            _ => allowed.iter().any(|a| Val::literal(a) == *v),
        };
        if !ok {
            let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
            return Some(format!(
                "not among the allowed values ({})",
                list.join(", ")
            ));
        }
    }
    None
}

/// Checks a declaration's shape: an object with a known `type` (or a `$ref` to a type, in
/// `languageVersion` 2.0).
pub fn check_declaration(decl: &Value) -> Result<(), (String, String)> {
    let Some(m) = decl.as_object() else {
        return Err((String::new(), "a parameter is declared by an object".into()));
    };
    let field = |k: &str| m.iter().find(|(n, _)| n.eq_ignore_ascii_case(k));
    match field("type") {
        Some((k, Value::String(t))) => {
            let known = [
                "string",
                "securestring",
                "int",
                "bool",
                "array",
                "object",
                "secureobject",
            ];
            if known.contains(&t.to_ascii_lowercase().as_str()) {
                Ok(())
            } else {
                Err((
                    format!("/{k}"),
                    format!(
                        "unknown type {t:?} (string, securestring, int, bool, array, object, secureobject)"
                    ),
                ))
            }
        }
        Some((k, _)) => Err((format!("/{k}"), "expected the type's name".into())),
        None if field("$ref").is_some() => Ok(()),
        None => Err((String::new(), "missing field `type`".into())),
    }
}

fn type_words(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "int" => "a number",
        "bool" => "a boolean",
        "array" => "a list",
        "object" | "secureobject" => "an object",
        _ => "a string",
    }
}

/// A JSON pointer as the JSON path errors name (`/resources/2/name` → `resources[2].name`).
pub fn path_of(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() { "$".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_become_paths() {
        assert_eq!(path_of(""), "$");
        assert_eq!(
            path_of("/resources/2/properties/securityRules/0"),
            "resources[2].properties.securityRules[0]"
        );
        assert_eq!(path_of("/resources/nsg/name"), "resources.nsg.name");
        assert_eq!(path_of("/variables/a~1b"), "variables.a/b");
    }

    #[test]
    fn a_parameters_file_is_read_and_checked() {
        let file = Path::new("p.json");
        let doc = json!({"parameters": {"Sku": {"value": "Premium"}, "secret": {"reference": {"keyVault": {}}}}});
        let given = from_file(file, &doc).unwrap();
        assert_eq!(given["sku"].1.val(), &Val::Str("Premium".into()));
        assert!(matches!(given["secret"].1.val(), Val::Unknown(u) if u.why.contains("Key Vault")));
        let bad = from_file(file, &json!({"parameters": {"x": {"valu": 1}}})).unwrap_err();
        assert_eq!(bad.path, "parameters.x");
        assert_eq!(
            from_file(file, &json!({"parameters": []}))
                .unwrap_err()
                .path,
            "parameters"
        );
    }

    #[test]
    fn values_are_checked_against_the_declaration() {
        let decl = json!({"type": "string", "allowedValues": ["Developer", "Premium"]});
        assert_eq!(check(&decl, &Val::Str("Premium".into())), None);
        assert!(
            check(&decl, &Val::Str("Basic".into()))
                .unwrap()
                .contains("allowed values")
        );
        assert!(
            check(&decl, &Val::Int(1))
                .unwrap()
                .contains("expected a string")
        );
        assert_eq!(check(&json!({"type": "int"}), &Val::Int(1)), None);
        assert!(check_declaration(&json!({"type": "text"})).is_err());
        assert!(check_declaration(&json!({"$ref": "#/definitions/x"})).is_ok());
    }
}
