//! Load: the project's files into a [`project::Project`].

pub mod images;
pub mod project;
pub mod tables;
pub mod theme;
pub mod yaml;
