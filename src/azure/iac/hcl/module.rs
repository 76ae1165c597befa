//! One module instance being evaluated: its declarations (variables, locals, resources, data
//! sources, module calls, outputs), where its names are looked up ([`Env`]), and what it has
//! evaluated so far (each local, output, resource and child module once, lazily: a name
//! referring to itself, directly or not, is unknown, not a loop).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use hcl::edit::Decorated;
use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::{Block, BlockLabel, Structure};

use super::budget::Budget;
use super::eval::{Env, Eval, Root};
use super::repeat::{Instances, Mode};
use super::source::{Module, Source};
use super::value::V;

/// A module call's instances (none when its count is 0), or why it was not read.
pub struct Calls<'a> {
    /// Whether `module.x` is one module, a list or a map of them.
    pub mode: Mode,
    /// Each instance's key (`None` without count/for_each) and the module evaluated for it.
    pub list: Vec<(Option<V>, Ctx<'a>)>,
    /// Why its instances are not known (a count or for_each not known, a module not read).
    pub unknown: Option<String>,
}

/// A value with the resources it references.
pub type Refd = (V, Vec<String>);

/// Something evaluated once: under way (met again: a cycle), or done.
pub enum Slot<T> {
    /// Being computed: met again, it refers to itself.
    Busy,
    /// Computed.
    Done(T),
}

/// A resource or data source as declared.
pub struct Decl<'a> {
    /// `azurerm_subnet.apim`, or `data.azurerm_subnet.apim`.
    pub address: String,
    /// Its type (`azurerm_subnet`).
    pub kind: &'a str,
    /// A data source (read, not managed: never a resource of the doc).
    pub data: bool,
    /// The `resource` or `data` block.
    pub block: &'a Block,
    /// The file declaring it.
    pub file: &'a Source,
}

/// What a module declares.
#[derive(Default)]
pub struct Decls<'a> {
    /// `variable` blocks by name.
    pub vars: BTreeMap<&'a str, &'a Block>,
    /// Every `locals` entry, by name.
    pub locals: BTreeMap<&'a str, &'a Expression>,
    /// Resources and data sources, in the order of the files.
    pub resources: Vec<Decl<'a>>,
    /// `module` blocks, with their names.
    pub calls: Vec<(&'a str, &'a Block)>,
    /// Each `output`'s value expression, by name.
    pub outputs: BTreeMap<&'a str, &'a Expression>,
}

impl<'a> Decls<'a> {
    fn of(m: &'a Module) -> Self {
        let mut d = Decls::default();
        for file in &m.files {
            for s in &file.body {
                let Structure::Block(b) = s else { continue };
                let labels: Vec<&'a str> = b.labels.iter().map(BlockLabel::as_str).collect();
                match (b.ident.as_str(), labels.as_slice()) {
                    ("variable", [name]) => {
                        d.vars.insert(name, b);
                    }
                    ("locals", []) => d
                        .locals
                        .extend(b.body.attributes().map(|a| (a.key.as_str(), &a.value))),
                    ("resource" | "data", [kind, name]) => {
                        let data = b.ident.as_str() == "data";
                        let address = if data {
                            format!("data.{kind}.{name}")
                        } else {
                            format!("{kind}.{name}")
                        };
                        d.resources.push(Decl {
                            address,
                            kind,
                            data,
                            block: b,
                            file,
                        });
                    }
                    ("module", [name]) => d.calls.push((name, b)),
                    ("output", [name]) => {
                        if let Some(a) = b.body.get_attribute("value") {
                            d.outputs.insert(name, &a.value);
                        }
                    }
                    _ => {}
                }
            }
        }
        d
    }
}

/// A module instance in evaluation.
pub struct Ctx<'a> {
    /// The module's files as read.
    pub m: &'a Module,
    /// The budget of the whole read, shared with the child modules.
    pub budget: &'a Budget,
    /// The address prefix of its resources (`module.net.`; `""` at the root).
    pub prefix: String,
    /// The same with instance keys (`module.net[0].`), for origins.
    pub key_prefix: String,
    /// The values its call gives its variables (`None`: the root module, which has tfvars).
    pub inputs: Option<BTreeMap<String, Refd>>,
    /// What its files declare.
    pub decls: Decls<'a>,
    tfvars: BTreeMap<String, V>,
    vars: RefCell<BTreeMap<String, Slot<Refd>>>,
    locals: RefCell<BTreeMap<String, Slot<Refd>>>,
    outputs: RefCell<BTreeMap<String, Slot<Refd>>>,
    /// The resources evaluated so far, by address (each once, however often referenced).
    pub resources: RefCell<BTreeMap<String, Slot<Rc<Instances>>>>,
    /// The module calls evaluated so far, by name.
    pub children: RefCell<BTreeMap<String, Slot<Rc<Calls<'a>>>>>,
    /// What it could not evaluate as Terraform would, in words.
    pub warnings: RefCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    /// The root module, its variables set by its tfvars files.
    pub fn root(m: &'a Module, budget: &'a Budget) -> Self {
        let mut ctx = Self::new(m, budget, String::new(), String::new(), None);
        ctx.tfvars = tfvars(m, budget);
        ctx
    }

    /// A module instance, given what its call sets (`inputs`) and where its addresses live.
    pub fn new(
        m: &'a Module,
        budget: &'a Budget,
        prefix: String,
        key_prefix: String,
        inputs: Option<BTreeMap<String, Refd>>,
    ) -> Self {
        Self {
            m,
            budget,
            prefix,
            key_prefix,
            inputs,
            decls: Decls::of(m),
            tfvars: BTreeMap::new(),
            vars: RefCell::default(),
            locals: RefCell::default(),
            outputs: RefCell::default(),
            resources: RefCell::default(),
            children: RefCell::default(),
            warnings: RefCell::default(),
        }
    }

    /// Notes what was not evaluated as Terraform would, for the doc's warnings.
    pub fn warn(&self, text: String) {
        self.warnings.borrow_mut().push(text);
    }

    /// `module.net` (the call of this instance) for messages; `the root module` at the root.
    pub fn label(&self) -> String {
        match self.prefix.strip_suffix('.') {
            Some(p) => p.to_owned(),
            None => "the root module".into(),
        }
    }

    /// Evaluates `e` in this module (no names bound).
    pub fn eval(&self, e: &Expression) -> Refd {
        let mut ev = Eval::new(self, self.budget);
        let v = ev.expr(e);
        (v, ev.refs)
    }

    /// `var.name`: what the call sets, else the tfvars (root module), else the default;
    /// without any, unknown, naming the variable.
    pub fn var(&self, name: &str) -> Refd {
        memo(
            &self.vars,
            name,
            || format!("var.{name} refers to itself"),
            || {
                if let Some(given) = self.inputs.as_ref().and_then(|i| i.get(name)) {
                    return given.clone();
                }
                if let Some(v) = self.tfvars.get(name) {
                    return (v.clone(), Vec::new());
                }
                let Some(block) = self.decls.vars.get(name) else {
                    return (
                        V::unknown(format!("var.{name} is not declared")),
                        Vec::new(),
                    );
                };
                match block.body.get_attribute("default") {
                    Some(a) => self.eval(&a.value),
                    None if self.inputs.is_some() => (
                        V::unknown(format!(
                            "var.{name} is not set by {} and has no default",
                            self.label()
                        )),
                        Vec::new(),
                    ),
                    None => (V::unknown(format!("var.{name} has no default")), Vec::new()),
                }
            },
        )
    }

    /// `local.name`, evaluated once.
    pub fn local(&self, name: &str) -> Refd {
        memo(
            &self.locals,
            name,
            || format!("local.{name} refers to itself"),
            || match self.decls.locals.get(name) {
                Some(e) => self.eval(e),
                None => (
                    V::unknown(format!("local.{name} is not declared")),
                    Vec::new(),
                ),
            },
        )
    }

    /// The value of output `name`, for `module.x.name` in the calling module.
    pub fn output(&self, name: &str) -> Refd {
        memo(
            &self.outputs,
            name,
            || format!("{}.{name} refers to itself", self.label()),
            || match self.decls.outputs.get(name) {
                Some(e) => self.eval(e),
                None => (
                    V::unknown(format!(
                        "{}.{name} is not an output of the module",
                        self.label()
                    )),
                    Vec::new(),
                ),
            },
        )
    }

    /// `path.module`, `path.root`, `path.cwd`: the module's folder, or `.` for the root.
    pub fn path(&self, what: Option<&str>) -> V {
        match what {
            Some("module") => V::Str(self.m.dir.display().to_string()),
            Some("root" | "cwd") => V::Str(".".into()),
            _ => V::unknown("path has module, root and cwd"),
        }
    }
}

/// Looks `name` up in `cache`, computing it once with `compute`; a name met again while it
/// is computed is unknown (`cycle`).
fn memo(
    cache: &RefCell<BTreeMap<String, Slot<Refd>>>,
    name: &str,
    cycle: impl FnOnce() -> String,
    compute: impl FnOnce() -> Refd,
) -> Refd {
    match cache.borrow().get(name) {
        Some(Slot::Done(v)) => return v.clone(),
        Some(Slot::Busy) => return (V::unknown(cycle()), Vec::new()),
        None => {}
    }
    cache.borrow_mut().insert(name.to_owned(), Slot::Busy);
    let v = compute();
    cache
        .borrow_mut()
        .insert(name.to_owned(), Slot::Done(v.clone()));
    v
}

/// The values of the root module's tfvars files (literals: they refer to nothing).
fn tfvars(m: &Module, budget: &Budget) -> BTreeMap<String, V> {
    struct Literal;
    impl Env for Literal {
        fn root(&self, name: &str, _: &[Decorated<TraversalOperator>], _: &mut Eval<'_>) -> Root {
            Root::plain(
                V::unknown(format!("{name}: a tfvars file gives literal values")),
                0,
                name.into(),
            )
        }
    }
    let mut out = BTreeMap::new();
    for file in &m.tfvars {
        for a in file.body.attributes() {
            let v = Eval::new(&Literal, budget).expr(&a.value);
            out.insert(a.key.as_str().to_owned(), v);
        }
    }
    for (_, json) in &m.tfvars_json {
        if let Some(obj) = json.as_object() {
            out.extend(obj.iter().map(|(k, v)| (k.clone(), V::from_json(v))));
        }
    }
    out
}
