//! Many runs as one matrix (`apim-probe merge`, and `check -o html`): each file becomes a
//! column (`source`, `evaluation`, `runcommand` with `salvage`, told apart by `input`), `build`
//! merges them into the `model`, `note` says where a row fails, and each format is a pure
//! function of the matrix (`table`, `markdown`, `json`, `html`).

pub mod brief;
pub mod build;
pub mod editions;
pub mod evaluation;
pub mod html;
pub mod input;
pub mod json;
pub mod markdown;
pub mod model;
pub mod note;
pub mod runcommand;
pub mod salvage;
pub mod source;
pub mod table;
pub mod text;
