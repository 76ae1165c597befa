//! A resource's body evaluated: its attributes (each with the resources it references), its
//! nested blocks (`security_rule { … }` repeated: a list of objects, as Terraform's JSON shows
//! them), `dynamic` blocks expanded over their collection, and where each block starts. Then
//! flattened into the parts of a [`TfResource`](crate::azure::iac::azurerm::TfResource): values,
//! unknowns by path (`security_rule.1.destination_port_range`), references by path, lines.

use std::collections::BTreeMap;

use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Body, Structure};
use serde_json::{Map, Value};

use super::eval::Eval;
use super::source::Source;
use super::value::{V, number_text};

/// Attributes of a resource that are Terraform's, not the provider's.
const META: &[&str] = &["count", "for_each", "depends_on", "provider"];
/// Blocks of a resource that are Terraform's, not the provider's.
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
/// Attributes the azurerm provider takes as numbers; the others read here are strings (a number
/// written for one, `destination_port_range = 443`, is converted, as the provider does).
const NUMBERS: &[&str] = &["priority"];

/// A body evaluated.
#[derive(Debug, Clone, Default)]
pub struct Out {
    /// Each attribute's value and the resources it references.
    pub attrs: BTreeMap<String, (V, Vec<String>)>,
    /// Each nested block type's blocks, with the line each starts on.
    pub blocks: BTreeMap<String, Vec<(Out, Option<usize>)>>,
    /// What could not be expanded, in words.
    pub notes: Vec<String>,
}

/// Evaluates a body (`top`: a resource's own, where meta-arguments are left out).
pub fn eval(body: &Body, ev: &mut Eval<'_>, src: &Source, top: bool) -> Out {
    let mut out = Out::default();
    for s in body {
        match s {
            Structure::Attribute(a) => {
                let key = a.key.as_str();
                if top && META.contains(&key) {
                    continue;
                }
                ev.take_refs();
                let v = ev.expr(&a.value);
                out.attrs.insert(key.to_owned(), (v, ev.take_refs()));
            }
            Structure::Block(b) if b.ident.as_str() == "dynamic" => dynamic(b, ev, src, &mut out),
            Structure::Block(b) => {
                if top && META_BLOCKS.contains(&b.ident.as_str()) {
                    continue;
                }
                let inner = eval(&b.body, ev, src, false);
                out.notes.extend(inner.notes.iter().cloned());
                let line = src.line(b.span());
                out.blocks
                    .entry(b.ident.as_str().to_owned())
                    .or_default()
                    .push((inner, line));
            }
        }
    }
    out
}

/// `dynamic "name" { for_each = …, iterator = it, content { … } }`: one block per element;
/// over a collection not known, one block whose iterator is unknown (its values then are).
fn dynamic(b: &Block, ev: &mut Eval<'_>, src: &Source, out: &mut Out) {
    let Some(name) = b.labels.first().map(|l| l.as_str().to_owned()) else {
        return;
    };
    let iterator = match b.body.get_attribute("iterator").map(|a| &a.value) {
        Some(Expression::Variable(v)) => v.as_str().to_owned(),
        _ => name.clone(),
    };
    let Some(content) = b.body.get_blocks("content").next() else {
        return;
    };
    let line = src.line(b.span());
    let items = match b.body.get_attribute("for_each") {
        Some(a) => ev.items(&a.value),
        None => Err(V::unknown(format!("dynamic {name:?} has no for_each"))),
    };
    let items = items.unwrap_or_else(|unknown| {
        let why = unknown.first_unknown().unwrap_or("not known").to_owned();
        out.notes.push(format!(
            "dynamic {name:?} (line {}): for_each is not known ({why}): read as one block whose values from it are unknown",
            line.unwrap_or(0)
        ));
        vec![(V::Unknown(why.clone()), V::Unknown(why))]
    });
    for (key, value) in items {
        let it = match (&key, &value) {
            (V::Unknown(why), _) => V::Unknown(why.clone()),
            _ => V::Map(BTreeMap::from([
                ("key".to_owned(), key),
                ("value".to_owned(), value),
            ])),
        };
        ev.bind(&iterator, it);
        let inner = eval(&content.body, ev, src, false);
        ev.unbind();
        out.notes.extend(inner.notes.iter().cloned());
        out.blocks
            .entry(name.clone())
            .or_default()
            .push((inner, line));
    }
}

impl Out {
    /// The body as a value (blocks: lists of objects), for references to the resource.
    pub fn to_value(&self) -> V {
        let mut m: BTreeMap<String, V> = self
            .attrs
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect();
        for (k, list) in &self.blocks {
            m.insert(
                k.clone(),
                V::List(list.iter().map(|(b, _)| b.to_value()).collect()),
            );
        }
        V::Map(m)
    }
}

/// The parts of a resource, flattened.
#[derive(Debug, Default)]
pub struct Flat {
    /// The attributes with known values, blocks as lists of objects.
    pub values: Map<String, Value>,
    /// Why each value not known is not, by path (`security_rule.1.destination_port_range`).
    pub unknown: BTreeMap<String, String>,
    /// The resources each attribute references, by path.
    pub refs: BTreeMap<String, Vec<String>>,
    /// The line each nested block starts on, by path (`security_rule.1`).
    pub lines: BTreeMap<String, usize>,
}

/// Flattens `out` into `flat`'s maps, its paths under `path` (`""` or `security_rule.0.`).
pub fn flatten(out: &Out, path: &str, flat: &mut Flat) -> Map<String, Value> {
    let mut values = Map::new();
    for (k, (v, refs)) in &out.attrs {
        let at = format!("{path}{k}");
        if !refs.is_empty() {
            flat.refs.insert(at.clone(), refs.clone());
        }
        match v.first_unknown() {
            Some(why) => {
                flat.unknown.insert(at, why.to_owned());
            }
            None => {
                values.insert(k.clone(), coerce(k, v).to_json());
            }
        }
    }
    for (k, list) in &out.blocks {
        let mut items = Vec::new();
        for (i, (b, line)) in list.iter().enumerate() {
            let at = format!("{path}{k}.{i}");
            if let Some(l) = line {
                flat.lines.insert(at.clone(), *l);
            }
            items.push(Value::Object(flatten(b, &format!("{at}."), flat)));
        }
        values.insert(k.clone(), Value::Array(items));
    }
    values
}

/// A value as the provider takes it: numbers for `priority`, strings elsewhere.
fn coerce(attr: &str, v: &V) -> V {
    match v {
        V::Str(s) if NUMBERS.contains(&attr) => {
            s.trim().parse::<f64>().map_or_else(|_| v.clone(), V::Num)
        }
        V::Num(n) if !NUMBERS.contains(&attr) => V::Str(number_text(*n)),
        V::List(items) => V::List(items.iter().map(|x| coerce(attr, x)).collect()),
        _ => v.clone(),
    }
}
