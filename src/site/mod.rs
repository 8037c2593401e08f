//! The site on disk: output folders, hashed names, link checks.

pub mod links;
pub mod output;
