//! Playbooks: named lists of steps, each a task due some days after the playbook starts,
//! with the template to send where a step sends a message. They are data files (TOML).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Days after the start the step is due.
    pub day: u32,
    pub title: String,
    /// The template the step's message is written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    title: String,
    #[serde(default)]
    about: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Playbook {
    /// The file name without `.toml`: how alerts and commands name it.
    pub slug: String,
    pub title: String,
    pub about: String,
    pub steps: Vec<Step>,
    /// "built-in", or the file it came from.
    pub source: String,
}

/// The longest offset a step may have.
pub const MAX_DAY: u32 = 365;

impl Playbook {
    /// Read a playbook file; the error names what is wrong (with its line when TOML says).
    pub fn parse(slug: &str, source: &str, text: &str) -> Result<Playbook, String> {
        let f: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            match line {
                Some(n) => format!("line {n}: {}", e.message().trim()),
                None => e.message().trim().to_string(),
            }
        })?;
        if f.title.trim().is_empty() {
            return Err("the title is empty".into());
        }
        if f.steps.is_empty() {
            return Err("it has no [[steps]]".into());
        }
        for (i, s) in f.steps.iter().enumerate() {
            if s.title.trim().is_empty() {
                return Err(format!("step {} has an empty title", i + 1));
            }
            if s.day > MAX_DAY {
                return Err(format!(
                    "step {} is due on day {}; the last day is {MAX_DAY}",
                    i + 1,
                    s.day
                ));
            }
            if s.template.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(format!("step {} names an empty template", i + 1));
            }
        }
        let mut steps = f.steps;
        steps.sort_by_key(|s| s.day);
        Ok(Playbook {
            slug: slug.to_string(),
            title: f.title.trim().to_string(),
            about: f.about.trim().to_string(),
            steps,
            source: source.to_string(),
        })
    }

    /// The cause a step's task carries: one open task per account and cause.
    pub fn step_cause(&self, index: usize) -> String {
        format!("playbook:{}:{}", self.slug, index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_steps() {
        let p = Playbook::parse(
            "x",
            "built-in",
            "title = \"X\"\n[[steps]]\nday = 7\ntitle = \"later\"\n[[steps]]\nday = 0\ntitle = \"first\"\ntemplate = \"t\"\n",
        )
        .unwrap();
        assert_eq!(p.steps[0].title, "first");
        assert_eq!(p.steps[0].template.as_deref(), Some("t"));
        assert_eq!(p.step_cause(1), "playbook:x:2");
    }

    #[test]
    fn bad_files_say_why() {
        let err = |t: &str| Playbook::parse("x", "f", t).unwrap_err();
        assert_eq!(err("title = \"X\"\nsteps = []\n"), "it has no [[steps]]");
        assert!(err("title = \"X\"\n[[steps]]\nday = 400\ntitle = \"a\"\n").contains("day 400"));
        assert!(err("title = \"X\"\n[[steps]]\nday = -1\ntitle = \"a\"\n").contains("line"));
        assert!(err("title = \"X\"\n[[steps]]\nday = 1\ntitle = \"a\"\nwhen = 3\n").contains("when"));
        assert_eq!(
            err("title = \" \"\n[[steps]]\nday = 1\ntitle = \"a\"\n"),
            "the title is empty"
        );
    }
}
