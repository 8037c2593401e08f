//! The site on disk: output folders (what may be replaced, the atomic
//! write) and the check of every internal link.

pub mod links;
pub mod output;
