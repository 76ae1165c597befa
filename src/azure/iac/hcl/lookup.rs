//! Where a module's names lead ([`Env`] for [`Ctx`]): `var.x`, `local.y`, resources and data
//! sources (each evaluated once, with its instances), `module.m.out` (the child module
//! instances, each evaluated once with the values its call gives), `path`, `terraform`.
//! Every resource met is a reference ([`Eval::refer`]).

use std::rc::Rc;

use hcl::edit::Decorated;
use hcl::edit::expr::TraversalOperator;
use hcl::edit::structure::Body;

use super::body;
use super::eval::{Env, Eval, Root};
use super::module::{Calls, Ctx, Refd, Slot};
use super::repeat::{Instance, Instances, Mode, Repeat, key_suffix, repeat};
use super::value::V;

/// Arguments of a module call that are Terraform's, not the module's variables.
const CALL_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// How many operators of a traversal a resource's name takes: its name (`azurerm_subnet.apim`:
/// 1), and the type's too for a data source (`data.azurerm_subnet.apim`: 2).
fn ops_used(address: &str) -> usize {
    if address.starts_with("data.") { 2 } else { 1 }
}

fn attr_at(ops: &[Decorated<TraversalOperator>], i: usize) -> Option<&str> {
    match ops.get(i).map(Decorated::value) {
        Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
        _ => None,
    }
}

impl Env for Ctx<'_> {
    fn root(&self, name: &str, ops: &[Decorated<TraversalOperator>], ev: &mut Eval<'_>) -> Root {
        let first = attr_at(ops, 0);
        let named = |(v, refs): Refd, ev: &mut Eval<'_>, label: String| {
            for r in refs {
                ev.refer(r);
            }
            Root::plain(v, 1, label)
        };
        let plain = |v: V, used: usize| Root::plain(v, used, name.to_owned());
        match (name, first) {
            ("var", Some(n)) => named(self.var(n), ev, format!("var.{n}")),
            ("local", Some(n)) => named(self.local(n), ev, format!("local.{n}")),
            ("module", Some(m)) => self.module_ref(m, ops, ev),
            ("data", Some(kind)) => match attr_at(ops, 1) {
                Some(n) => self.resource_ref(&format!("data.{kind}.{n}"), &ops[2..], ev),
                None => plain(V::unknown(format!("data.{kind} without a name")), 1),
            },
            ("path", _) => plain(self.path(first), usize::from(first.is_some())),
            ("terraform", Some("workspace")) => plain(V::Str("default".into()), 1),
            ("self", _) => plain(V::unknown("self is known after apply"), 0),
            ("count" | "each", _) => plain(
                V::unknown(format!("{name} outside a block that sets it")),
                0,
            ),
            (_, Some(n)) => self.resource_ref(&format!("{name}.{n}"), &ops[1..], ev),
            (_, None) => plain(
                V::unknown(format!("{name} is not a name Terraform knows")),
                0,
            ),
        }
    }
}

impl<'a> Ctx<'a> {
    /// The instances `count` or `for_each` of `body` make, warning when they are not known.
    fn repeat_of(&self, body: &Body, label: &str) -> Repeat {
        let count = body.get_attribute("count").map(|a| self.eval(&a.value).0);
        let for_each = body
            .get_attribute("for_each")
            .map(|a| self.eval(&a.value).0);
        let r = repeat(count, for_each);
        if let Some(why) = &r.unknown {
            self.warn(format!("{label}: {why}: read as one instance"));
        }
        r
    }

    /// The instances of resource or data source `i`, each evaluated once; `Err` when it refers
    /// to itself.
    pub fn instances(&self, i: usize) -> Result<Rc<Instances>, String> {
        let d = &self.decls.resources[i];
        match self.resources.borrow().get(&d.address) {
            Some(Slot::Done(x)) => return Ok(Rc::clone(x)),
            Some(Slot::Busy) => return Err(format!("{} refers to itself", d.address)),
            None => {}
        }
        self.resources
            .borrow_mut()
            .insert(d.address.clone(), Slot::Busy);
        let r = self.repeat_of(&d.block.body, &format!("{}{}", self.prefix, d.address));
        let mut list = Vec::new();
        for (key, bound) in r.list {
            let mut ev = Eval::new(self, self.budget);
            if let Some(b) = bound {
                ev.bind(r.mode.binding(), b);
            }
            let out = body::eval(&d.block.body, &mut ev, d.file, true);
            list.push(Instance { key, out });
        }
        let x = Rc::new(Instances {
            mode: r.mode,
            list,
            unknown: r.unknown,
        });
        self.resources
            .borrow_mut()
            .insert(d.address.clone(), Slot::Done(Rc::clone(&x)));
        Ok(x)
    }

    /// A reference to a resource or data source (`azurerm_subnet.apim`), `rest` the operators
    /// after its name. The reference noted names the instance when the code indexes one with a
    /// key known (`azurerm_subnet.s["apim"]`), and this module instance (`module.net[0].`): what
    /// it leads to is then that one resource, not any of its kind.
    fn resource_ref(
        &self,
        address: &str,
        rest: &[Decorated<TraversalOperator>],
        ev: &mut Eval<'_>,
    ) -> Root {
        let used = ops_used(address);
        let here = format!("{}{address}", self.key_prefix);
        let Some(i) = self
            .decls
            .resources
            .iter()
            .position(|d| d.address == address)
        else {
            ev.refer(here);
            let why = format!("{address} is not declared in {}", self.label());
            return Root::plain(V::unknown(why), used, address.to_owned());
        };
        match self.instances(i) {
            Ok(x) => {
                let key = match (x.mode, rest.first().map(Decorated::value)) {
                    (Mode::Count | Mode::ForEach, Some(TraversalOperator::Index(e))) => {
                        ev.expr(e).to_text().ok()
                    }
                    _ => None,
                };
                ev.refer(match key {
                    Some(k) if x.mode == Mode::Count => format!("{here}[{k}]"),
                    Some(k) => format!("{here}[{k:?}]"),
                    None => here,
                });
                Root {
                    v: x.value(address),
                    used,
                    label: address.to_owned(),
                    computed: true,
                }
            }
            Err(why) => {
                ev.refer(here);
                Root::plain(V::unknown(why), used, address.to_owned())
            }
        }
    }

    /// The instances of module call `name`, each evaluated once with the values its call
    /// gives; `Err` when it refers to itself or is not declared.
    pub fn calls(&self, name: &str) -> Result<Rc<Calls<'a>>, String> {
        match self.children.borrow().get(name) {
            Some(Slot::Done(x)) => return Ok(Rc::clone(x)),
            Some(Slot::Busy) => return Err(format!("module.{name} refers to itself")),
            None => {}
        }
        let Some((_, block)) = self.decls.calls.iter().find(|(n, _)| *n == name) else {
            return Err(format!("module.{name} is not declared in {}", self.label()));
        };
        self.children
            .borrow_mut()
            .insert(name.to_owned(), Slot::Busy);
        let calls = match self.m.children.get(name) {
            Some(Ok(child)) => {
                let label = format!("{}module.{name}", self.prefix);
                let r = self.repeat_of(&block.body, &label);
                let mut list = Vec::new();
                for (key, bound) in r.list {
                    let mut ev = Eval::new(self, self.budget);
                    if let Some(b) = bound {
                        ev.bind(r.mode.binding(), b);
                    }
                    let mut inputs = std::collections::BTreeMap::new();
                    for a in block
                        .body
                        .attributes()
                        .filter(|a| !CALL_META.contains(&a.key.as_str()))
                    {
                        ev.take_refs();
                        let v = ev.expr(&a.value);
                        inputs.insert(a.key.as_str().to_owned(), (v, ev.take_refs()));
                    }
                    let prefix = format!("{label}.");
                    let key_prefix = format!(
                        "{}module.{name}{}.",
                        self.key_prefix,
                        key_suffix(key.as_ref())
                    );
                    list.push((
                        key,
                        Ctx::new(child, self.budget, prefix, key_prefix, Some(inputs)),
                    ));
                }
                Calls {
                    mode: r.mode,
                    list,
                    unknown: r.unknown,
                }
            }
            Some(Err(why)) => Calls {
                mode: Mode::Single,
                list: Vec::new(),
                unknown: Some(why.clone()),
            },
            None => Calls {
                mode: Mode::Single,
                list: Vec::new(),
                unknown: Some("not read".into()),
            },
        };
        let x = Rc::new(calls);
        self.children
            .borrow_mut()
            .insert(name.to_owned(), Slot::Done(Rc::clone(&x)));
        Ok(x)
    }

    /// `module.name.output`, `module.name[key].output`, or the module as a whole.
    fn module_ref(
        &self,
        name: &str,
        ops: &[Decorated<TraversalOperator>],
        ev: &mut Eval<'_>,
    ) -> Root {
        let label = format!("module.{name}");
        let calls = match self.calls(name) {
            Ok(c) => c,
            Err(why) => return Root::plain(V::unknown(why), 1, label),
        };
        if let Some(why) = &calls.unknown {
            return Root::plain(V::unknown(format!("{label}: {why}")), 1, label);
        }
        let (chosen, used) = match (calls.mode, ops.get(1).map(Decorated::value)) {
            (Mode::Single, _) => (calls.list.first().map(|(_, c)| c), 1),
            (_, Some(TraversalOperator::Index(e))) => {
                let k = ev.expr(e);
                let found = calls.list.iter().find(|(key, _)| {
                    key.as_ref().is_some_and(|key| {
                        *key == k || (key.to_number().is_some() && key.to_number() == k.to_number())
                    })
                });
                match found {
                    Some((_, c)) => (Some(c), 2),
                    None => {
                        return Root::plain(
                            V::unknown(format!("{label} has no instance {}", key_suffix(Some(&k)))),
                            2,
                            label,
                        );
                    }
                }
            }
            _ => (None, 1),
        };
        let Some(ctx) = chosen else {
            return Root::plain(every_instance(&calls, ev), used, label);
        };
        match attr_at(ops, used) {
            Some(out) => {
                let (v, refs) = ctx.output(out);
                for r in refs {
                    ev.refer(r);
                }
                Root::plain(v, used + 1, format!("{label}.{out}"))
            }
            None => Root::plain(outputs(ctx, ev), used, label),
        }
    }
}

/// Every output of a module instance, as one object.
fn outputs(ctx: &Ctx<'_>, ev: &mut Eval<'_>) -> V {
    let names: Vec<&str> = ctx.decls.outputs.keys().copied().collect();
    V::Map(
        names
            .into_iter()
            .map(|n| {
                let (v, refs) = ctx.output(n);
                for r in refs {
                    ev.refer(r);
                }
                (n.to_owned(), v)
            })
            .collect(),
    )
}

/// A module call's instances as a whole: a list (`count`) or map (`for_each`) of objects.
fn every_instance(calls: &Calls<'_>, ev: &mut Eval<'_>) -> V {
    match calls.mode {
        Mode::ForEach => V::Map(
            calls
                .list
                .iter()
                .filter_map(|(k, c)| {
                    k.as_ref()
                        .and_then(|k| k.to_text().ok())
                        .map(|k| (k, outputs(c, ev)))
                })
                .collect(),
        ),
        _ => V::List(calls.list.iter().map(|(_, c)| outputs(c, ev)).collect()),
    }
}
