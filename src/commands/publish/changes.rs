//! What a publish adds, changes and removes (for `--dry-run`).

use std::collections::BTreeMap;

use crate::render::OutFile;

/// Files a publish adds, changes and removes.
pub struct Changes {
    add: Vec<String>,
    change: Vec<String>,
    remove: Vec<String>,
}

pub fn diff<T: PartialEq>(
    files: &[OutFile],
    old: &BTreeMap<String, T>,
    key: impl Fn(&OutFile) -> T,
) -> Changes {
    let mut c = Changes {
        add: Vec::new(),
        change: Vec::new(),
        remove: Vec::new(),
    };
    for f in files {
        match old.get(&f.path) {
            None => c.add.push(f.path.clone()),
            Some(v) if *v != key(f) => c.change.push(f.path.clone()),
            Some(_) => {}
        }
    }
    let new: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    c.remove = old
        .keys()
        .filter(|k| !new.contains(k.as_str()))
        .cloned()
        .collect();
    c
}

impl Changes {
    pub fn describe(&self, lines: &mut Vec<String>, place: &str) {
        for (word, list) in [
            ("add", &self.add),
            ("change", &self.change),
            ("remove", &self.remove),
        ] {
            for p in list {
                lines.push(format!("{word:<7} {p}"));
            }
        }
        if self.add.is_empty() && self.change.is_empty() && self.remove.is_empty() {
            lines.push(format!("dry run: nothing would change in {place}"));
        } else {
            lines.push(format!(
                "dry run: {} to add, {} to change, {} to remove in {place}; nothing was written",
                self.add.len(),
                self.change.len(),
                self.remove.len()
            ));
        }
    }
}
