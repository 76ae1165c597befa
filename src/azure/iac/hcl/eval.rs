//! Expressions evaluated as Terraform would, over what the code itself says: literals,
//! operators, conditionals, `for` expressions, string templates, splats and the functions of
//! [`funcs`](super::funcs). Names (`var.x`, `local.y`, `azurerm_subnet.apim.id`) are looked up in
//! an [`Env`] (the module); the resources they reference are collected ([`Eval::refs`]). The
//! [`Budget`] bounds the work, so that no input can make evaluation run away; the operators on
//! values are in [`ops`](super::ops).

use std::collections::BTreeMap;

use hcl::edit::Decorated;
use hcl::edit::expr::{
    Expression, ForExpr, FuncCall, Object, ObjectKey, Traversal, TraversalOperator,
};
use hcl::edit::template::{Directive, Element, Template};

use super::budget::{Budget, TOO_MUCH};
use super::funcs;
use super::ops::{self, get_attr, index, unknown_or};
use super::value::V;

/// One element a `for` expression makes: its key (`{ for … : k => v }` only) and its value.
type ForItem = (Option<String>, V);

/// What a name at the root of a traversal stands for.
pub struct Root {
    /// Its value.
    pub v: V,
    /// How many of the traversal's operators the lookup used (`var.x`: 1, `module.m.out`: 2).
    pub used: usize,
    /// The text of what was looked up (`var.x`), for the reasons of unknowns.
    pub label: String,
    /// Whether attributes it does not have are computed by the provider (a resource's `id`).
    pub computed: bool,
}

impl Root {
    /// A value whose attributes the code sets all of (not a resource's: none computed).
    pub fn plain(v: V, used: usize, label: String) -> Self {
        Self {
            v,
            used,
            label,
            computed: false,
        }
    }
}

/// Where names are looked up: a module of the code.
pub trait Env {
    /// The value of `name` followed by `ops` (`var` then `.x`), evaluating index expressions
    /// with `ev`, whose references it adds to.
    fn root(&self, name: &str, ops: &[Decorated<TraversalOperator>], ev: &mut Eval<'_>) -> Root;
}

/// One evaluation: its environment, the names bound by blocks and expressions (`count`,
/// `each`, iterators, `for` variables), and the resources referenced so far.
pub struct Eval<'e> {
    /// Where names are looked up.
    pub env: &'e dyn Env,
    /// The work this read may still do.
    pub budget: &'e Budget,
    bindings: Vec<(String, V)>,
    /// The resources referenced (`module.net.azurerm_subnet.apim`), in order, once each.
    pub refs: Vec<String>,
}

impl<'e> Eval<'e> {
    /// An evaluation with nothing bound and nothing referenced yet.
    pub fn new(env: &'e dyn Env, budget: &'e Budget) -> Self {
        Self {
            env,
            budget,
            bindings: Vec::new(),
            refs: Vec::new(),
        }
    }

    /// Binds `name` to `v` for what is evaluated until [`unbind`](Self::unbind).
    pub fn bind(&mut self, name: &str, v: V) {
        self.bindings.push((name.to_owned(), v));
    }

    /// Drops the name bound last.
    pub fn unbind(&mut self) {
        self.bindings.pop();
    }

    /// Notes a reference to a resource.
    pub fn refer(&mut self, address: String) {
        if !self.refs.contains(&address) {
            self.refs.push(address);
        }
    }

    /// Takes the references collected so far, leaving none.
    pub fn take_refs(&mut self) -> Vec<String> {
        std::mem::take(&mut self.refs)
    }

    /// The value of `e`; unknown, saying why, when it cannot be known here or the budget is
    /// spent.
    pub fn expr(&mut self, e: &Expression) -> V {
        let v = if self.budget.enter() {
            self.expr_inner(e)
        } else {
            V::unknown(TOO_MUCH)
        };
        self.budget.leave();
        v
    }

    fn expr_inner(&mut self, e: &Expression) -> V {
        match e {
            Expression::Null(_) => V::Null,
            Expression::Bool(b) => V::Bool(*b.value()),
            Expression::Number(n) => n.value().as_f64().map_or(V::Null, V::Num),
            Expression::String(s) => V::Str(s.value().clone()),
            Expression::Array(a) => V::List(a.iter().map(|x| self.expr(x)).collect()),
            Expression::Object(o) => self.object(o),
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(name) => self.variable(name.as_str(), &[]),
            Expression::Conditional(c) => match self.expr(&c.cond_expr) {
                V::Unknown(why) => V::Unknown(why),
                cond => match cond.to_bool() {
                    Some(true) => self.expr(&c.true_expr),
                    Some(false) => self.expr(&c.false_expr),
                    None => V::unknown(format!("a condition that is a {}", cond.type_name())),
                },
            },
            Expression::FuncCall(f) => self.call(f),
            Expression::Traversal(t) => self.traversal(t),
            Expression::UnaryOp(op) => ops::unary(*op.operator.value(), self.expr(&op.expr)),
            Expression::BinaryOp(op) => {
                let a = self.expr(&op.lhs_expr);
                let b = self.expr(&op.rhs_expr);
                ops::binary(*op.operator.value(), &a, &b)
            }
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn object(&mut self, o: &Object) -> V {
        let mut out = BTreeMap::new();
        for (k, v) in o {
            let key = match k {
                ObjectKey::Ident(id) => id.as_str().to_owned(),
                ObjectKey::Expression(e) => match self.key_of(e).to_text() {
                    Ok(k) => k,
                    Err(unknown) => return unknown,
                },
            };
            let value = self.expr(v.expr());
            out.insert(key, value);
        }
        V::Map(out)
    }

    /// An object key: a bare name is the name itself (`{ (var.k) = … }` evaluates).
    fn key_of(&mut self, e: &Expression) -> V {
        match e {
            Expression::Variable(name) => V::Str(name.as_str().to_owned()),
            other => self.expr(other),
        }
    }

    /// A string template: its literals, interpolations and `%{if}`/`%{for}` directives.
    pub fn template(&mut self, t: &Template) -> V {
        let mut out = String::new();
        for element in t {
            match element {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.expr(&i.expr).to_text() {
                    Ok(s) => out.push_str(&s),
                    Err(unknown) => return unknown,
                },
                Element::Directive(d) => match self.directive(d) {
                    Ok(s) => out.push_str(&s),
                    Err(unknown) => return unknown,
                },
            }
            if !self.budget.charge(out.len() / 64 + 1) {
                return V::unknown(TOO_MUCH);
            }
        }
        V::Str(out)
    }

    fn directive(&mut self, d: &Directive) -> Result<String, V> {
        match d {
            Directive::If(i) => {
                let cond = self.expr(&i.if_expr.cond_expr);
                let chosen = match cond.to_bool() {
                    Some(true) => Some(&i.if_expr.template),
                    Some(false) => i.else_expr.as_ref().map(|e| &e.template),
                    None => return Err(unknown_or(cond, "a %{if} condition that is not a bool")),
                };
                chosen.map_or(Ok(String::new()), |t| self.template(t).to_text())
            }
            Directive::For(f) => {
                let e = &f.for_expr;
                let items = self.items(&e.collection_expr)?;
                let mut out = String::new();
                for (k, v) in items {
                    self.bind_pair(
                        e.key_var.as_ref().map(|k| k.as_str()),
                        e.value_var.as_str(),
                        k,
                        v,
                    );
                    let piece = self.template(&e.template).to_text();
                    self.unbind_pair(e.key_var.is_some());
                    out.push_str(&piece?);
                }
                Ok(out)
            }
        }
    }

    /// The key–value pairs of a collection to iterate (a list's indices, a map's keys).
    pub fn items(&mut self, e: &Expression) -> Result<Vec<(V, V)>, V> {
        match self.expr(e) {
            V::List(items) => Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::count(i), v))
                .collect()),
            V::Map(m) => Ok(m.into_iter().map(|(k, v)| (V::Str(k), v)).collect()),
            V::Unknown(why) => Err(V::Unknown(why)),
            other => Err(V::unknown(format!(
                "cannot iterate over a {}",
                other.type_name()
            ))),
        }
    }

    fn bind_pair(&mut self, key_var: Option<&str>, value_var: &str, k: V, v: V) {
        if let Some(name) = key_var {
            self.bind(name, k);
        }
        self.bind(value_var, v);
    }

    fn unbind_pair(&mut self, with_key: bool) {
        self.unbind();
        if with_key {
            self.unbind();
        }
    }

    fn for_expr(&mut self, f: &ForExpr) -> V {
        let items = match self.items(&f.intro.collection_expr) {
            Ok(items) => items,
            Err(unknown) => return unknown,
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let value_var = f.intro.value_var.as_str().to_owned();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, V> = BTreeMap::new();
        for (k, v) in items {
            if !self.budget.charge(1) {
                return V::unknown(TOO_MUCH);
            }
            self.bind_pair(key_var.as_deref(), &value_var, k, v);
            let one = self.for_one(f);
            self.unbind_pair(key_var.is_some());
            match one {
                Err(unknown) => return unknown,
                Ok(None) => {}
                Ok(Some((None, value))) => list.push(value),
                Ok(Some((Some(key), value))) if f.grouping => {
                    let group = map.entry(key).or_insert_with(|| V::List(Vec::new()));
                    if let V::List(g) = group {
                        g.push(value);
                    }
                }
                Ok(Some((Some(key), value))) => {
                    if map.insert(key.clone(), value).is_some() {
                        return V::unknown(format!("duplicate key {key:?} in a for expression"));
                    }
                }
            }
        }
        if f.key_expr.is_some() {
            V::Map(map)
        } else {
            V::List(list)
        }
    }

    /// One element of a `for` expression: skipped (`None`), or its key (for objects) and value.
    fn for_one(&mut self, f: &ForExpr) -> Result<Option<ForItem>, V> {
        if let Some(cond) = &f.cond {
            let c = self.expr(&cond.expr);
            match c.to_bool() {
                Some(true) => {}
                Some(false) => return Ok(None),
                None => return Err(unknown_or(c, "a for condition that is not a bool")),
            }
        }
        let key = match &f.key_expr {
            Some(k) => Some(self.expr(k).to_text()?),
            None => None,
        };
        Ok(Some((key, self.expr(&f.value_expr))))
    }

    fn call(&mut self, f: &FuncCall) -> V {
        let name = f.name.name.as_str();
        if !f.name.namespace.is_empty() {
            return V::unknown(format!("provider function {name}() is not evaluated"));
        }
        let mut args: Vec<V> = f.args.iter().map(|a| self.expr(a)).collect();
        if f.args.expand_final() {
            match args.pop() {
                Some(V::List(rest)) => args.extend(rest),
                Some(V::Unknown(why)) => return V::Unknown(why),
                _ => return V::unknown(format!("{name}(…): the expanded argument is not a list")),
            }
        }
        let v = funcs::call(name, args);
        if self.budget.charge(v.weight()) {
            v
        } else {
            V::unknown(TOO_MUCH)
        }
    }

    fn variable(&mut self, name: &str, ops: &[Decorated<TraversalOperator>]) -> V {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            let v = v.clone();
            return self.apply(v, ops, name.to_owned(), false);
        }
        let env = self.env;
        let root = env.root(name, ops, self);
        let rest = ops.get(root.used..).unwrap_or_default();
        self.apply(root.v, rest, root.label, root.computed)
    }

    fn traversal(&mut self, t: &Traversal) -> V {
        if let Expression::Variable(name) = &t.expr {
            return self.variable(name.as_str(), &t.operators);
        }
        let base = self.expr(&t.expr);
        self.apply(base, &t.operators, "the expression".into(), false)
    }

    /// Applies traversal operators (`.attr`, `[index]`, splats) to a value.
    pub fn apply(
        &mut self,
        mut v: V,
        ops: &[Decorated<TraversalOperator>],
        mut label: String,
        computed: bool,
    ) -> V {
        for (i, op) in ops.iter().enumerate() {
            if matches!(v, V::Unknown(_)) {
                return v;
            }
            match op.value() {
                TraversalOperator::GetAttr(id) => {
                    v = get_attr(v, id.as_str(), &label, computed);
                    label = format!("{label}.{}", id.as_str());
                }
                TraversalOperator::Index(e) => {
                    let key = self.expr(e);
                    label = format!("{label}[{}]", key.to_text().unwrap_or_else(|_| "?".into()));
                    v = index(v, &key, &label);
                }
                TraversalOperator::LegacyIndex(n) => {
                    let key = V::count(*n.value());
                    label = format!("{label}.{}", n.value());
                    v = index(v, &key, &label);
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    let items = match v {
                        V::Null => Vec::new(),
                        V::List(items) => items,
                        other => vec![other],
                    };
                    let label = format!("{label}[*]");
                    let out = items
                        .into_iter()
                        .map(|x| self.apply(x, rest, label.clone(), computed))
                        .collect();
                    return V::List(out);
                }
            }
        }
        v
    }
}
