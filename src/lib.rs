//! galley: a reproducible-manuscript static site generator.
//!
//! The pipeline, one folder per stage; dependencies point one way, down
//! this list (see ARCHITECTURE.md):
//!
//! - [`commands`]: the command-line drivers (build, check, new, serve,
//!   publish), each a thin layer over the [`pipeline`].
//! - [`pipeline`]: the build value that owns the stages and drives them.
//! - [`site`]: the output folder (atomic write, what may be replaced),
//!   link check.
//! - [`render`]: the renderers (HTML, PDF), peers taking the same document.
//! - [`assemble`]: data references, Markdown, citations, cross-references,
//!   tables and figures, into the document model.
//! - [`figures`]: generated figures (SVG for every output).
//! - [`analysis`]: meta-analyses of the data (effect sizes, pooling).
//! - [`load`]: files into a project (manuscript.yaml, data, table specs,
//!   theme, images).
//! - [`model`], [`diag`], [`cache`]: the document model, diagnostics and
//!   the rebuild cache every stage may use.

// Diagnostics are returned by value on the error path only, where their
// size does not matter; boxing them everywhere would only add noise.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod assemble;
pub mod cache;
pub mod commands;
pub mod diag;
pub mod figures;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod site;

/// galley's version, as outputs name their generator.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
