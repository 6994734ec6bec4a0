//! Renders a [`Plan`](kfollow_model::Plan) for people and for programs: terminal text in
//! Terraform's visual grammar ([`render_text`]), a pull-request comment in GitHub markdown
//! ([`render_markdown`]) and versioned JSON for policy checks ([`render_json`], documented in
//! `docs/plan-json.md`).
//!
//! Rendering is pure: a plan in, a `String` out. It does not decide whether to colour (the cli
//! does, from the terminal and `NO_COLOR`), does not touch the terminal, and adds nothing the
//! plan does not hold: every Kusto command and ARM request shown is one of the plan's
//! [`Operation`](kfollow_model::Operation)s, verbatim. Start reading at [`render_text`]; the
//! shared line model is in `lines.rs`, one change block in `body.rs`. The access review of
//! `kfollow access` has its own forms in `access.rs` ([`render_access_text`] and its
//! siblings).
//!
//! The report of `kfollow check` has its three forms too, in `check.rs`
//! ([`render_check_text`], [`render_check_markdown`], [`render_check_json`], documented in
//! `docs/check-json.md`).
//!
//! [`Form`] is the choice of `--format`: [`render_saved_plan`] renders a saved plan (`kfollow
//! plan`, `kfollow show`) and [`render_check`] a check report in it.
//!
//! Names come from the manifest and from live state, and may hold anything: every piece of
//! text and markdown output goes through [`inert`], which shows control, bidirectional and
//! invisible characters as escapes (`\n`, `\u{202e}`), so no name can start a line of its own
//! or drive the terminal. The binary uses it too, for the names its messages quote. JSON keeps
//! names as they are, in JSON's own escapes: it is data for programs.

mod access;
mod body;
mod check;
mod form;
mod inert;
mod json;
mod lines;
mod markdown;
mod summary;
mod text;
mod value;

pub use access::{
    ACCESS_CSV_COLUMNS, ACCESS_JSON_FORMAT_VERSION, access_json, render_access_csv,
    render_access_json, render_access_markdown, render_access_text,
};
pub use check::{
    CHECK_JSON_FORMAT_VERSION, CheckJsonMeta, check_json, check_summary, render_check_json,
    render_check_markdown, render_check_text,
};
pub use form::{Form, render_check, render_saved_plan};
pub use inert::{inert, is_hidden};
pub use json::{PLAN_JSON_FORMAT_VERSION, PlanJsonMeta, plan_json, render_json};
pub use markdown::{GITHUB_COMMENT_LIMIT, MarkdownOptions, plan_marker, render_markdown};
pub use summary::summary_line;
pub use text::{TextOptions, render_text};
