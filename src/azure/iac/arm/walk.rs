//! The resources a template declares, evaluated: each entry of `resources` (a list, or the
//! symbolic names of `languageVersion` 2.0), once per index of its `copy` loop, with its child
//! `resources` given their full type and name, and those whose `condition` is false left out.
//! Only what the network readers use is evaluated (`type`, `name`, `sku`, `properties`): an
//! expression elsewhere (tags, `dependsOn`) can neither fail nor slow the read.

use serde_json::Value;

use super::access::{Loops, member};
use super::scope::Scope;
use super::val::Val;
use crate::azure::InputError;
use crate::azure::iac::lines::child;

/// One resource of the template, evaluated.
#[derive(Debug, Clone)]
pub struct ArmResource {
    /// Its full type (`Microsoft.Network/networkSecurityGroups/securityRules`).
    pub kind: String,
    /// Its full name, unknown parts written as their expressions (`apim-nsg/AllowManagement`).
    pub name: String,
    /// `sku`, evaluated (`Val::Null` when absent).
    pub sku: Val,
    /// `properties`, evaluated (`Val::Null` when absent).
    pub properties: Val,
    /// The JSON pointer of its declaration (`/resources/3`): with the line index, where it and
    /// the members written literally in it are.
    pub ptr: String,
}

/// The resources of `template`, with what could not be evaluated in `warnings`.
pub fn resources(
    scope: &mut Scope<'_>,
    template: &Value,
    warnings: &mut Vec<String>,
) -> Result<Vec<ArmResource>, InputError> {
    let mut out = Vec::new();
    let Some(list) = member(template, "resources") else {
        return Ok(out);
    };
    for (ptr, r) in entries(list, "/resources", scope)? {
        declared(scope, r, &ptr, (None, &Vec::new()), &mut out, warnings)?;
    }
    Ok(out)
}

/// The entries of a `resources` member with their pointers: a list, or an object of symbolic
/// names.
fn entries<'v>(
    list: &'v Value,
    ptr: &str,
    scope: &Scope<'_>,
) -> Result<Vec<(String, &'v Value)>, InputError> {
    match list {
        Value::Array(a) => Ok(a
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("{ptr}/{i}"), r))
            .collect()),
        Value::Object(m) => Ok(m.iter().map(|(k, r)| (child(ptr, k), r)).collect()),
        _ => Err(scope.err(ptr, "expected a list of resources")),
    }
}

/// One declaration: once per index of its `copy` loop. `outer` is the enclosing resource's full
/// type and name, for a child resource, and the loops it is in.
fn declared(
    scope: &mut Scope<'_>,
    r: &Value,
    ptr: &str,
    outer: (Option<(&str, &str)>, &Loops),
    out: &mut Vec<ArmResource>,
    warnings: &mut Vec<String>,
) -> Result<(), InputError> {
    if !r.is_object() {
        return Err(scope.err(ptr, "expected a resource (an object)"));
    }
    let (parent, loops) = outer;
    let Some(copy) = member(r, "copy") else {
        return one(scope, r, ptr, loops, parent, out, warnings);
    };
    let at = child(ptr, "copy");
    let name = scope.loop_name(copy, &at)?;
    match scope.count(copy, &at, loops)? {
        Ok(n) => {
            for i in 0..n {
                let mut inner = loops.clone();
                inner.push((name.clone(), i));
                one(scope, r, ptr, &inner, parent, out, warnings)?;
            }
        }
        Err(u) => warnings.push(format!(
            "{}: the number of copies of {ptr} is not known ({}): not evaluated",
            scope.file().display(),
            u.why
        )),
    }
    Ok(())
}

/// One instance of a declaration, and its children.
fn one(
    scope: &mut Scope<'_>,
    r: &Value,
    ptr: &str,
    loops: &Loops,
    parent: Option<(&str, &str)>,
    out: &mut Vec<ArmResource>,
    warnings: &mut Vec<String>,
) -> Result<(), InputError> {
    if let Some(c) = member(r, "condition") {
        match scope.eval(c, &child(ptr, "condition"), loops)? {
            Val::Bool(false) => return Ok(()),
            Val::Unknown(u) => warnings.push(format!(
                "{}: {ptr} is deployed only if {} (not known before deployment): read as if it were",
                scope.file().display(),
                u.text
            )),
            _ => {}
        }
    }
    let text = |scope: &mut Scope<'_>, key: &str| -> Result<String, InputError> {
        let at = child(ptr, key);
        let Some(v) = member(r, key) else {
            return Err(scope.err(ptr, format!("a resource without `{key}`")));
        };
        let val = scope.eval(v, &at, loops)?;
        val.text()
            .ok_or_else(|| scope.err(&at, format!("expected a string, found {}", val.kind())))
    };
    let (mut kind, mut name) = (text(scope, "type")?, text(scope, "name")?);
    if let Some((pk, pn)) = parent
        && !kind.contains('/')
    {
        kind = format!("{pk}/{kind}");
        name = format!("{pn}/{name}");
    }
    let mut eval = |key: &str| match member(r, key) {
        Some(v) => scope.eval(v, &child(ptr, key), loops),
        None => Ok(Val::Null),
    };
    let (sku, properties) = (eval("sku")?, eval("properties")?);
    out.push(ArmResource {
        kind: kind.clone(),
        name: name.clone(),
        sku,
        properties,
        ptr: ptr.to_owned(),
    });
    if let Some(children) = member(r, "resources") {
        for (at, c) in entries(children, &child(ptr, "resources"), scope)? {
            declared(scope, c, &at, (Some((&kind, &name)), loops), out, warnings)?;
        }
    }
    Ok(())
}
