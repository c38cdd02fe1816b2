//! Names numbered in the order they first appear: the interner behind channel ids, labels and
//! other small vocabularies.

use rustc_hash::FxHashMap;

/// Distinct names, each with the id of its first appearance.
#[derive(Debug, Clone, Default)]
pub struct Names {
    list: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl Names {
    /// The id of `name`, added when new.
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(name.to_string());
        self.index.insert(name.to_string(), id);
        id
    }

    /// The names, by id.
    pub fn list(&self) -> &[String] {
        &self.list
    }

    /// The names, by id.
    pub fn into_list(self) -> Vec<String> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_first_appearance() {
        let mut names = Names::default();
        assert_eq!(
            ["b", "a", "b", "c", "a"].map(|n| names.id(n)),
            [0, 1, 0, 2, 1]
        );
        assert_eq!(names.into_list(), ["b", "a", "c"]);
    }
}
