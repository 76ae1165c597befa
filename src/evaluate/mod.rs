//! The offline evaluation: for every flow APIM needs, whether the exported NSGs and routes let
//! it through, by which rule, and what to add. Pure: data in (flows, `NetworkInputs`, settings),
//! data out ([`Evaluation`]); no file or network access.
//!
//! `check` can reuse it: [`evaluate`] on the flows of its plan ([`flows::from_plan`]), then
//! [`Evaluation::flow`] / [`Evaluation::explain`] per probed row, [`Evaluation::blocking_rule`]
//! per service tag and [`Evaluation::default_route`] for diagnoses.

mod assess;
mod context;
mod effects;
pub mod flows;
pub mod hint;
pub mod membership;
pub mod model;
pub mod near;
pub mod nsg;
pub mod report;
pub mod routes;
pub mod space;
pub mod subnet;
mod verdict;

pub use self::assess::evaluate;
pub use self::flows::Flow;
pub use self::model::{EvalSettings, Evaluation, Finding, FlowResult, PrefixCount, Verdict};
pub use self::nsg::RuleRef;
pub use self::routes::NextHop;
