//! A cursor over a JSON document that remembers where it is, for exports whose field names come
//! in camelCase (Azure CLI, REST) or PascalCase (PowerShell), flat or nested under `properties`
//! (ARM, the portal's JSON view). Every error names the file and the JSON path as the document
//! spells it: `nsg.json: at securityRules[3].priority: expected a number, found "high"`.

use std::path::Path;

use serde_json::Value;

use crate::azure::InputError;

/// The member a code reader sets on the resources and rules it normalises: where each is declared.
pub const ORIGIN_KEY: &str = "x-apim-probe-origin";

/// A value of the document and its JSON path.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    value: &'a Value,
    file: &'a Path,
    path: String,
}

impl<'a> Node<'a> {
    /// The document's root.
    #[must_use]
    pub fn root(file: &'a Path, value: &'a Value) -> Self {
        Node {
            value,
            file,
            path: String::new(),
        }
    }

    /// The JSON path of this node (`$` for the root).
    pub fn path(&self) -> String {
        if self.path.is_empty() {
            "$".into()
        } else {
            self.path.clone()
        }
    }

    /// The file this node is in.
    pub fn file(&self) -> &'a Path {
        self.file
    }

    /// An error at this node.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.file, self.path(), message)
    }

    /// The raw value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// A child of this node.
    fn child(&self, value: &'a Value, key: &str) -> Node<'a> {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Node {
            value,
            file: self.file,
            path,
        }
    }

    /// The item `i` of this array node's value `value`.
    #[must_use]
    pub fn item(&self, value: &'a Value, i: usize) -> Node<'a> {
        Node {
            value,
            file: self.file,
            path: format!("{}[{i}]", self.path),
        }
    }

    /// The member `key` (case-insensitive), absent or `null` being `None`.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let map = self.value.as_object()?;
        let (k, v) = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?;
        (!v.is_null()).then(|| self.child(v, k))
    }

    /// Whether the object has the member `key` (case-insensitive), even `null`.
    pub fn has(&self, key: &str) -> bool {
        self.value
            .as_object()
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(key)))
    }

    /// The member `key`, which must be there.
    pub fn field(&self, key: &str) -> Result<Node<'a>, InputError> {
        self.get(key)
            .ok_or_else(|| self.error(format!("missing field `{key}`")))
    }

    /// Where the resource's fields are: its `properties` object in the ARM/REST/portal form,
    /// the object itself in the flat form of the Azure CLI and PowerShell.
    #[must_use]
    pub fn props(&self) -> Node<'a> {
        match self.get("properties") {
            Some(p) if p.value.is_object() => p,
            _ => self.clone(),
        }
    }

    /// The value as a string.
    pub fn str(&self) -> Result<&'a str, InputError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, found {}", found(self.value))))
    }

    /// The value as a whole number (a number, or a string of digits as some exports write).
    pub fn u32(&self) -> Result<u32, InputError> {
        let n = match self.value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        n.and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.error(format!("expected a number, found {}", found(self.value))))
    }

    /// The value as a boolean (`true`, or the strings `"true"`/`"True"` of some exports).
    pub fn bool(&self) -> Result<bool, InputError> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            v => Err(self.error(format!("expected true or false, found {}", found(v)))),
        }
    }

    /// The items of an array.
    pub fn items(&self) -> Result<Vec<Node<'a>>, InputError> {
        let list = self
            .value
            .as_array()
            .ok_or_else(|| self.error(format!("expected a list, found {}", found(self.value))))?;
        Ok(list
            .iter()
            .enumerate()
            .map(|(i, v)| self.item(v, i))
            .collect())
    }

    /// A string or a list of strings, as one list (Azure writes some fields either way).
    pub fn strings(&self) -> Result<Vec<(Node<'a>, &'a str)>, InputError> {
        if self.value.is_string() {
            return Ok(vec![(self.clone(), self.str()?)]);
        }
        self.items()?
            .into_iter()
            .map(|n| n.str().map(|s| (n, s)))
            .collect()
    }

    /// The `id` member of an object such as `networkSecurityGroup: { "id": … }`.
    pub fn id_of(&self, key: &str) -> Result<Option<String>, InputError> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => match n.get("id") {
                Some(id) => Ok(Some(id.str()?.to_owned())),
                None => Ok(None),
            },
        }
    }
}

/// What a value is, for "expected …, found …" messages.
pub fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => {
            format!("\"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The last segment of an Azure resource id (`…/networkSecurityGroups/apim-nsg` → `apim-nsg`).
pub fn id_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
