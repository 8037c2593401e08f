//! galley: a reproducible-manuscript static site generator.
//!
//! Pipeline: [`project`] loads the files, [`document`] assembles the
//! format-neutral [`model`] (with [`template`], [`markdown`], [`cite`],
//! [`tables`], [`prisma`]), [`html`] renders it, [`output`] writes it.
//! [`build`] drives the stages for every command; [`publish`] adds what a
//! static host needs ([`fingerprint`], [`links`], [`git`]).

// Diagnostics are returned by value on the error path only, where their
// size does not matter; boxing them everywhere would only add noise.
#![allow(clippy::result_large_err)]

pub mod build;
pub mod checks;
pub mod cite;
pub mod contain;
pub mod diag;
pub mod document;
pub mod fingerprint;
pub mod git;
pub mod html;
pub mod image_check;
pub mod links;
pub mod markdown;
pub mod math;
pub mod memo;
pub mod model;
pub mod output;
pub mod pdf;
pub mod prisma;
pub mod project;
pub mod publish;
pub mod sandbox;
pub mod scaffold;
pub mod serve;
pub mod tables;
pub mod template;
pub mod theme;
pub mod typeset;
pub mod yaml;
