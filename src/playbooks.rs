//! The playbook set: the shipped playbooks (`assets/playbooks/`), then the user's own from
//! `playbooks/` beside the configuration file, where a file with a shipped name replaces it.

use crate::domain::playbook::Playbook;
use crate::responses::TemplateSet;
use std::path::{Path, PathBuf};

/// The shipped playbooks, embedded in the binary. A test checks this matches `assets/playbooks/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "at-risk-recovery",
        include_str!("../assets/playbooks/at-risk-recovery.toml"),
    ),
    ("onboarding", include_str!("../assets/playbooks/onboarding.toml")),
    ("qbr", include_str!("../assets/playbooks/qbr.toml")),
    ("upsell", include_str!("../assets/playbooks/upsell.toml")),
    ("advocacy", include_str!("../assets/playbooks/advocacy.toml")),
    ("dunning", include_str!("../assets/playbooks/dunning.toml")),
];

#[derive(Debug, Clone, Default)]
pub struct PlaybookSet {
    pub playbooks: Vec<Playbook>,
    /// Files that did not load: "file: why". A broken override keeps the shipped playbook.
    pub errors: Vec<String>,
}

impl PlaybookSet {
    pub fn load(dir: Option<&Path>) -> PlaybookSet {
        let mut set = PlaybookSet::default();
        for (slug, text) in BUILT_IN {
            match Playbook::parse(slug, "built-in", text) {
                Ok(p) => set.playbooks.push(p),
                Err(e) => set.errors.push(format!("built-in {slug}.toml: {e}")),
            }
        }
        if let Some(dir) = dir {
            set.load_dir(dir);
        }
        set.playbooks.sort_by(|a, b| a.slug.cmp(&b.slug));
        set
    }

    fn load_dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.errors
                    .push(format!("{}: cannot read the playbooks folder: {e}", dir.display()));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let file = path.display().to_string();
            let Some(slug) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let parsed = std::fs::read(&path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
                .and_then(|text| Playbook::parse(slug, &file, &text));
            match parsed {
                Ok(p) => {
                    self.playbooks.retain(|o| o.slug != p.slug);
                    self.playbooks.push(p);
                }
                Err(e) => self.errors.push(format!("{file}: {e}")),
            }
        }
    }

    pub fn get(&self, slug: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.slug == slug)
    }

    /// A playbook by slug or title, or a sentence naming the ones there are.
    pub fn find(&self, name: &str) -> Result<&Playbook, String> {
        let n = name.trim().to_ascii_lowercase();
        self.playbooks
            .iter()
            .find(|p| p.slug == n || p.title.to_ascii_lowercase() == n)
            .ok_or_else(|| {
                format!(
                    "there is no playbook '{name}'; playbooks: {}",
                    self.playbooks
                        .iter()
                        .map(|p| p.slug.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// Steps naming a template the template set does not have: "playbook step N: why".
    pub fn missing_templates(&self, templates: &TemplateSet) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.playbooks {
            for (i, s) in p.steps.iter().enumerate() {
                if let Some(t) = &s.template {
                    if templates.get(t).is_none() {
                        out.push(format!(
                            "playbook {} step {}: there is no template '{t}'",
                            p.slug,
                            i + 1
                        ));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_playbooks_load_and_match_the_folder() {
        let set = PlaybookSet::load(None);
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/playbooks"))
            .unwrap()
            .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut built: Vec<String> = BUILT_IN.iter().map(|(s, _)| s.to_string()).collect();
        built.sort();
        assert_eq!(files, built);
        // every step's template ships too
        assert!(set.missing_templates(&TemplateSet::load(None)).is_empty());
        // every alert's playbook exists
        for slug in crate::domain::alerts::PLAYBOOKS {
            assert!(set.get(slug).is_some(), "{slug}");
        }
    }

    #[test]
    fn overrides_replace_and_broken_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("upsell.toml"),
            "title = \"Mine\"\n[[steps]]\nday = 2\ntitle = \"Call\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("qbr.toml"), "title = \n").unwrap();
        std::fs::write(
            dir.path().join("win-back.toml"),
            "title = \"Win back\"\n[[steps]]\nday = 0\ntitle = \"Email\"\ntemplate = \"nope\"\n",
        )
        .unwrap();
        let set = PlaybookSet::load(Some(dir.path()));
        assert_eq!(set.get("upsell").unwrap().title, "Mine");
        assert_eq!(set.get("qbr").unwrap().source, "built-in");
        assert_eq!(set.errors.len(), 1);
        assert!(set.errors[0].contains("qbr.toml"), "{:?}", set.errors);
        assert_eq!(set.find("Win back").unwrap().slug, "win-back");
        assert!(set.find("zzz").unwrap_err().contains("advocacy"));
        assert_eq!(
            set.missing_templates(&TemplateSet::load(None)),
            vec!["playbook win-back step 1: there is no template 'nope'"]
        );
    }
}
