//! Assemble: a loaded project into the format-neutral document model.

pub mod checks;
pub mod cite;
pub mod document;
pub mod markdown;
pub mod math;
pub mod sandbox;
pub mod template;
