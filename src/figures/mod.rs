//! Figures galley draws from data. Each kind is a [`FigureKind`]: it reads
//! a data file and draws one SVG that both outputs use (inline in the
//! site, as an image in the PDF), with a text alternative that carries
//! every number. A new kind is a module here and one entry of [`KINDS`].

pub mod forest;
pub mod prisma;
pub mod rob;

use serde_json::Value;

/// A figure drawn from data.
#[derive(Debug)]
pub struct Drawn {
    pub svg: String,
    /// The caption the data file gives, if any.
    pub caption: Option<String>,
    /// A text alternative with every number of the figure.
    pub description: String,
}

/// A problem a kind finds in consistent-looking data: a warning at `key`
/// of the data file.
pub struct DataWarning {
    pub key: String,
    pub message: String,
}

/// A kind of figure `figure(kind=...)` draws.
pub trait FigureKind: Sync {
    /// Its name in `figure(kind="...")`.
    fn name(&self) -> &'static str;

    /// The data file (its stem under manuscript/data/) read when
    /// `figure()` names none with `data=`.
    fn default_data(&self) -> &'static str;

    /// How messages name its data ("PRISMA data").
    fn data_label(&self) -> &'static str;

    /// Draw figure `id` from `data`. An error may quote the data key at
    /// fault in backticks; it is then reported there.
    fn draw(&self, data: &Value, id: &str) -> Result<Drawn, String>;

    /// Whether a data file holds this kind's data, to be checked even when
    /// no figure draws it.
    fn recognises(&self, _data: &Value) -> bool {
        false
    }

    /// The checks of such data that hold or not (the counts add up).
    fn check(&self, _data: &Value) -> Result<Vec<DataWarning>, String> {
        Ok(Vec::new())
    }
}

/// Every kind galley draws.
pub const KINDS: &[&dyn FigureKind] = &[&prisma::Prisma];

/// The kind named `name`.
pub fn kind(name: &str) -> Option<&'static dyn FigureKind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// The kinds' names, for messages: "`prisma`".
pub fn names() -> String {
    KINDS
        .iter()
        .map(|k| format!("`{}`", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
