//! The diff against plain values: one test binary (`build` makes the worlds).

#![allow(clippy::unwrap_used)]

mod build;
mod cases;
