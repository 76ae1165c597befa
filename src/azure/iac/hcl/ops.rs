//! Operators on values, as Terraform applies them: `.attr` and `[index]` (whose failures name
//! the traversal that failed), unary `-` and `!`, comparisons, `&&`/`||` and arithmetic. An
//! unknown operand makes an unknown result that keeps its reason, except where Terraform's
//! short-circuit does not need it (`false && x`).

use hcl::edit::expr::{BinaryOperator, UnaryOperator};

use super::value::{V, number_text, whole};

/// `v` itself when it is unknown (its reason is the better one), else unknown for `why`.
pub fn unknown_or(v: V, why: &str) -> V {
    match v {
        V::Unknown(_) => v,
        _ => V::unknown(why),
    }
}

/// `v.name`; a resource's attribute the code does not set (`computed`) is known after apply.
pub fn get_attr(v: V, name: &str, label: &str, computed: bool) -> V {
    match v {
        V::Map(mut m) => m.remove(name).unwrap_or_else(|| {
            if computed {
                V::unknown(format!("{label}.{name} is known after apply"))
            } else {
                V::unknown(format!("{label} has no attribute {name:?}"))
            }
        }),
        V::Null => V::unknown(format!("{label} is null")),
        other => V::unknown(format!("{label} is a {}, not an object", other.type_name())),
    }
}

/// `v[key]`: a list's element or a map's member.
pub fn index(v: V, key: &V, label: &str) -> V {
    if let V::Unknown(_) = key {
        return key.clone();
    }
    match v {
        V::List(mut items) => match key.to_number().and_then(whole) {
            Some(i) => match usize::try_from(i).ok().filter(|&i| i < items.len()) {
                Some(i) => items.swap_remove(i),
                None => V::unknown(format!("{label}: no such element")),
            },
            None => V::unknown(format!("{label}: no such element")),
        },
        V::Map(mut m) => match key.to_text() {
            Ok(k) => m
                .remove(&k)
                .unwrap_or_else(|| V::unknown(format!("{label}: no such key"))),
            Err(unknown) => unknown,
        },
        V::Null => V::unknown(format!("{label}: indexing null")),
        other => V::unknown(format!("{label}: indexing a {}", other.type_name())),
    }
}

/// `-v` or `!v`.
pub fn unary(op: UnaryOperator, v: V) -> V {
    match (op, &v) {
        (_, V::Unknown(_)) => v,
        (UnaryOperator::Neg, _) => v.to_number().map_or_else(
            || V::unknown("- of a value that is not a number"),
            |n| V::Num(-n),
        ),
        (UnaryOperator::Not, _) => v.to_bool().map_or_else(
            || V::unknown("! of a value that is not a bool"),
            |b| V::Bool(!b),
        ),
    }
}

/// `a OP b`.
pub fn binary(op: BinaryOperator, a: &V, b: &V) -> V {
    use BinaryOperator as B;
    match op {
        B::Eq | B::NotEq => match (a.first_unknown(), b.first_unknown()) {
            (Some(why), _) | (_, Some(why)) => V::unknown(why),
            _ => V::Bool((a == b) == (op == B::Eq)),
        },
        B::And | B::Or => logic(op == B::And, a, b),
        _ => {
            if let V::Unknown(_) = a {
                return a.clone();
            }
            if let V::Unknown(_) = b {
                return b.clone();
            }
            let (Some(x), Some(y)) = (a.to_number(), b.to_number()) else {
                return V::unknown(format!(
                    "arithmetic on a {} and a {}",
                    a.type_name(),
                    b.type_name()
                ));
            };
            arithmetic(op, x, y)
        }
    }
}

fn logic(and: bool, a: &V, b: &V) -> V {
    match (a.to_bool(), b.to_bool()) {
        (Some(x), _) if x != and => V::Bool(x),
        (_, Some(y)) if y != and => V::Bool(y),
        (Some(x), Some(y)) => V::Bool(if and { x && y } else { x || y }),
        _ => [a, b].into_iter().find_map(V::first_unknown).map_or_else(
            || V::unknown("a logical operator on a value that is not a bool"),
            V::unknown,
        ),
    }
}

fn arithmetic(op: BinaryOperator, x: f64, y: f64) -> V {
    use BinaryOperator as B;
    let n = match op {
        B::Plus => x + y,
        B::Minus => x - y,
        B::Mul => x * y,
        B::Div | B::Mod if y == 0.0 => return V::unknown("a division by zero"),
        B::Div => x / y,
        B::Mod => x % y,
        B::Less => return V::Bool(x < y),
        B::LessEq => return V::Bool(x <= y),
        B::Greater => return V::Bool(x > y),
        B::GreaterEq => return V::Bool(x >= y),
        _ => return V::unknown("an operator that is not arithmetic"),
    };
    if n.is_finite() {
        V::Num(n)
    } else {
        V::unknown(format!("{} out of range", number_text(n)))
    }
}
