//! `count` and `for_each` on a resource or a module call: the instances they make, each with its
//! key (`[0]`, `["mgmt"]`) and what it binds (`count.index`, `each.key`, `each.value`). A count or
//! a collection not known makes one instance whose `count.index` or `each` is unknown.

use std::collections::BTreeMap;

use super::body::Out;
use super::value::{V, number_text, whole};

/// Instances one block may make; more are read as one.
const MAX_INSTANCES: i64 = 256;

/// How a block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Neither `count` nor `for_each`: one instance, addressed without a key.
    Single,
    /// `count`: a list of instances, keyed 0, 1, …
    Count,
    /// `for_each`: a map of instances, keyed by string.
    ForEach,
}

/// The instances of a block: each one's key and the value bound (`count` or `each`).
pub struct Repeat {
    /// Whether `count`, `for_each` or neither made them.
    pub mode: Mode,
    /// Each instance's key (`None` for a block that does not repeat) and the value it binds.
    pub list: Vec<(Option<V>, Option<V>)>,
    /// Why the instances are not known (one is read), when they are not.
    pub unknown: Option<String>,
}

impl Mode {
    /// The name the block's instances bind.
    pub fn binding(self) -> &'static str {
        if self == Mode::ForEach {
            "each"
        } else {
            "count"
        }
    }
}

/// The instances `count` (evaluated) or else `for_each` (evaluated) make.
pub fn repeat(count: Option<V>, for_each: Option<V>) -> Repeat {
    let one = |mode: Mode, why: String| Repeat {
        mode,
        list: vec![(None, Some(V::Unknown(why.clone())))],
        unknown: Some(why),
    };
    if let Some(c) = count {
        return match c.to_number().and_then(whole) {
            Some(n) if (0..=MAX_INSTANCES).contains(&n) => Repeat {
                mode: Mode::Count,
                list: (0..n)
                    .map(|i| {
                        let i = V::count(i);
                        (Some(i.clone()), Some(object(&[("index", i)])))
                    })
                    .collect(),
                unknown: None,
            },
            _ => one(Mode::Count, why(&c, "count", "a whole number")),
        };
    }
    let Some(f) = for_each else {
        return Repeat {
            mode: Mode::Single,
            list: vec![(None, None)],
            unknown: None,
        };
    };
    let pairs: Option<Vec<(String, V)>> = match &f {
        V::Map(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        V::List(l) => l
            .iter()
            .map(|v| match v {
                V::Str(s) => Some((s.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    match pairs {
        Some(p) if i64::try_from(p.len()).is_ok_and(|n| n <= MAX_INSTANCES) => {
            let mut list: Vec<(Option<V>, Option<V>)> = Vec::new();
            for (k, v) in p {
                let key = V::Str(k);
                if !list.iter().any(|(x, _)| x.as_ref() == Some(&key)) {
                    list.push((
                        Some(key.clone()),
                        Some(object(&[("key", key), ("value", v)])),
                    ));
                }
            }
            Repeat {
                mode: Mode::ForEach,
                list,
                unknown: None,
            }
        }
        _ => one(
            Mode::ForEach,
            why(&f, "for_each", "a map or a set of strings"),
        ),
    }
}

fn why(v: &V, what: &str, wanted: &str) -> String {
    match v.first_unknown() {
        Some(why) => format!("{what} is not known ({why})"),
        None => format!("{what} is not {wanted} of at most {MAX_INSTANCES} elements"),
    }
}

fn object(members: &[(&str, V)]) -> V {
    V::Map(
        members
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// An instance's key as its address writes it (`[0]`, `["mgmt"]`).
pub fn key_suffix(key: Option<&V>) -> String {
    match key {
        Some(V::Num(n)) => format!("[{}]", number_text(*n)),
        Some(V::Str(s)) => format!("[{s:?}]"),
        _ => String::new(),
    }
}

/// One instance of a resource: its key and its body evaluated.
pub struct Instance {
    /// `count.index` or `each.key`; `None` for a block that does not repeat.
    pub key: Option<V>,
    /// Its body evaluated with its key bound.
    pub out: Out,
}

/// A resource's instances.
pub struct Instances {
    /// Whether references see one object, a list or a map.
    pub mode: Mode,
    /// The instances, in key order.
    pub list: Vec<Instance>,
    /// Why the instances are not known (one was read), when they are not.
    pub unknown: Option<String>,
}

impl Instances {
    /// What a reference to the resource as a whole (`azurerm_subnet.apim`) gives: one object,
    /// a list of them (`count`) or a map (`for_each`).
    pub fn value(&self, address: &str) -> V {
        if let Some(why) = &self.unknown {
            return V::unknown(format!("{address}: {why}"));
        }
        match self.mode {
            Mode::Single => self.list.first().map_or(V::Null, |i| i.out.to_value()),
            Mode::Count => V::List(self.list.iter().map(|i| i.out.to_value()).collect()),
            Mode::ForEach => V::Map(
                self.list
                    .iter()
                    .filter_map(|i| match &i.key {
                        Some(V::Str(k)) => Some((k.clone(), i.out.to_value())),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_for_each_make_their_instances() {
        let r = repeat(Some(V::Num(2.0)), None);
        assert_eq!(r.mode, Mode::Count);
        assert_eq!(key_suffix(r.list[1].0.as_ref()), "[1]");
        let r = repeat(
            None,
            Some(V::List(vec![V::Str("b".into()), V::Str("a".into())])),
        );
        assert_eq!(key_suffix(r.list[0].0.as_ref()), "[\"b\"]");
        let r = repeat(Some(V::unknown("var.n has no default")), None);
        assert_eq!(r.list.len(), 1);
        assert_eq!(
            r.unknown.as_deref(),
            Some("count is not known (var.n has no default)")
        );
        assert!(repeat(Some(V::Num(0.0)), None).list.is_empty());
    }
}
