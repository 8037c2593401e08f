//! Render: the document into output files.

pub mod html;
pub mod pdf;
