//! Baton's ICP rules engine.
//!
//! One playbook (`icp.toml`) that marketing and sales agree on becomes a
//! checked [`Playbook`]; [`Playbook::evaluate`] turns a visitor's
//! [`Submission`] into a [`Decision`] with field errors, score, grade, the
//! reasons behind them and the route to a rep.
//!
//! This crate does no IO and holds no clock or randomness: the same bytes in
//! give the same verdict natively, in the browser (the widget) and in the
//! Cloudflare Worker (the edge). It must never depend on `web-sys` or `worker`.

#[cfg(feature = "bulk")]
pub mod backtest;
mod channel;
mod compile;
mod condition;
mod consent;
mod content;
#[cfg(feature = "bulk")]
mod direct;
mod email;
mod evaluate;
pub mod experiment;
mod fields;
#[cfg(feature = "bulk")]
mod flat;
mod keys;
mod lead;
mod lowercase;
mod map;
mod messages;
pub mod outcome;
mod owner;
mod playbook;
mod preview;
mod problem;
mod public;
#[cfg(any(feature = "bulk", feature = "sales"))]
mod rates;
pub mod raw;
mod relevance;
#[cfg(feature = "sales")]
pub mod report;
mod route;
#[cfg(feature = "delivery")]
pub mod sign;
pub mod strict;
mod text;
mod version;
pub mod wire;

/// The lead event sales receives (kept at its old path; it is a wire type).
#[cfg(feature = "delivery")]
pub use wire::event;
/// What the admin read API answers (kept at its old path; wire types too).
pub use wire::records;

pub use channel::{Channel, EventType, Setting};
#[cfg(feature = "toml")]
pub use compile::parse_toml;
pub use compile::{compile, compile_published, parse_json, MAX_TEAM_SHARES};
pub use content::Content;
pub use email::{classify, DomainClass};
pub use evaluate::Score;
pub use map::SortedMap;
pub use owner::OwnerBasis;
pub use playbook::{Field, Playbook, Rep};
pub use preview::{Held, Preview};
pub use problem::{closest, Problem, Problems};
pub use raw::{ChannelKind, ContentKind, RawPlaybook};
pub use route::pick;
pub use version::{canonical_json, hash};
pub use wire::{Claimed, Decision, LeadPost, Submission, Value};

/// JSON Schema of `icp.toml` for editors (Taplo, VS Code "Even Better TOML").
#[cfg(feature = "schema")]
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(raw::RawPlaybook)).unwrap_or_default()
}
