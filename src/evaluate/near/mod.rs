//! Near misses: for a required flow the NSG denies, the allow rule the author most likely meant —
//! one field away from allowing it. A port one keystroke off (3433 or 3344 for 3443, 433 for 443,
//! 6930 for 6390), the other direction, another protocol, the tag misspelled or in another case
//! (Azure keeps such a tag but does not map it, Azure/azure-cli#15462), another region's tag, or
//! an allow that a deny with a smaller priority number shadows. Each comes with the rule as it
//! should read, written in the input's own language: a Terraform block for a plan or `.tf`, an
//! ARM fragment for a template, an `az network nsg rule update` for an export.
//!
//! `search` finds them, `typo` measures keystrokes, `render` writes the correction.

mod model;
mod render;
mod search;
mod typo;

pub use self::model::{Field, FixedRule, Language, NearKind, NearMiss, Scope, Suggestion};
pub use self::render::{added, render};
pub use self::search::find;
pub use self::typo::keystroke;
