//! Where tend keeps things, and the user's configuration file.

use crate::domain::health::HealthRules;
use crate::domain::sla::SlaTargets;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file, `config.toml` in the platform config directory
/// (e.g. `~/.config/tend/config.toml`), or the file named by `TEND_CONFIG`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub health: HealthRules,
    pub sla: SlaTargets,
    /// Key overrides: action name = "key" or ["key", ...].
    pub keys: crate::app::keys::KeyOverrides,
    /// Saved views: named filters, in the palette and on their own keys.
    pub views: Vec<crate::app::SavedView>,
    /// Who replies are from, and how they are delivered.
    pub responses: Responses,
    /// How imports read mail.
    pub import: ImportSettings,
}

/// `[import]`: which mail is ours.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// Addresses (or "@domain") whose messages are our replies, e.g. ["support@acme.io", "@acme.io"].
    pub support_addresses: Vec<String>,
}

/// `[responses]`: the sender and delivery of replies.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Responses {
    /// The name replies are signed with; the login name when unset.
    pub agent_name: Option<String>,
    /// The founder's name, for the founder's personal note; agent_name when unset.
    pub founder_name: Option<String>,
    /// Your product's name.
    pub product: Option<String>,
    /// The support address replies are sent from, e.g. "Acme Support <support@acme.example>".
    pub from: Option<String>,
    /// A command that reads an RFC 5322 message on stdin and sends it, e.g. "msmtp -t".
    pub send_command: Option<String>,
    /// Where "write to a file" puts replies; `outbox` beside the database when unset.
    pub outbox: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the configuration file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "tend")
}

/// The default database path: `tend.db` in the platform data directory.
pub fn default_db_path() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().join("tend.db"))
        .unwrap_or_else(|| PathBuf::from("tend.db"))
}

/// The folder of the user's own templates: `templates` beside the configuration file.
pub fn templates_dir() -> Option<PathBuf> {
    config_path().and_then(|p| p.parent().map(|d| d.join("templates")))
}

/// The folder of the user's own playbooks: `playbooks` beside the configuration file.
pub fn playbooks_dir() -> Option<PathBuf> {
    config_path().and_then(|p| p.parent().map(|d| d.join("playbooks")))
}

/// The configuration file's path: `TEND_CONFIG`, else `config.toml` in the config directory.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TEND_CONFIG") {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Load the configuration; a missing file gives the defaults.
    pub fn load() -> Result<Config, ConfigError> {
        match config_path() {
            Some(p) if p.exists() => Config::from_file(&p),
            _ => Ok(Config::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Invalid { path: shown, message })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.message().to_string())?;
        c.health.weights.validate()?;
        c.health.thresholds.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn weights_and_thresholds_override() {
        let c = Config::parse(
            "[health.weights]\nusage = 50\nengagement = 20\nsatisfaction = 20\npayment = 10\n[health.thresholds]\nhealthy = 85\n",
        )
        .unwrap();
        assert_eq!(c.health.weights.usage, 50);
        assert_eq!(c.health.thresholds.healthy, 85);
        assert_eq!(c.health.thresholds.neutral, 60);
    }

    #[test]
    fn bad_config_is_refused_clearly() {
        let e = Config::parse("[health.weights]\nusage = 90\n").unwrap_err();
        assert_eq!(e, "the health weights add up to 150, not 100");
        assert!(Config::parse("[nonsense]\n").unwrap_err().contains("unknown field"));
    }
}
