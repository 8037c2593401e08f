//! Load: the project's files into a [`project::Project`].

pub mod analyses;
pub mod bib_convert;
pub mod bibliography;
pub mod csl_json;
pub mod data;
pub mod files;
pub mod images;
pub mod includes;
pub mod latex_text;
pub mod meta;
pub mod project;
pub mod quarto;
pub mod style;
pub mod tables;
pub mod theme;
pub mod yaml;
