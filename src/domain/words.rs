//! The enumerations tend stores and prints, each with the one lower-case word used for it
//! in the database, on the command line and in JSON.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A word could not be read as one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a valid {what}; valid values: {valid}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub given: String,
    pub valid: String,
}

macro_rules! words {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $word:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $word)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored and typed word.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $word),+ } }
            /// The label a person reads.
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn valid_words() -> String { [$($word),+].join(", ") }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let norm = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
                $(if norm == $word || norm == $label.to_ascii_lowercase().replace(' ', "-") { return Ok($name::$variant); })+
                Err(UnknownWord { what: $what, given: s.to_string(), valid: Self::valid_words() })
            }
        }
    };
}

words!(
    /// Who the account is, which decides how it is served (high-touch or tech-touch).
    Segment, "segment", {
    Enterprise => "enterprise" / "Enterprise",
    Smb => "smb" / "SMB",
    SelfServe => "self-serve" / "Self-serve",
});

words!(
    /// Where the account is in its journey.
    Stage, "stage", {
    Onboarding => "onboarding" / "Onboarding",
    Adoption => "adoption" / "Adoption",
    ValueRealization => "value-realization" / "Value realization",
    Expansion => "expansion" / "Expansion",
    Advocacy => "advocacy" / "Advocacy",
});

words!(AccountStatus, "account status", {
    Active => "active" / "Active",
    Churned => "churned" / "Churned",
});

words!(
    /// Where a ticket came in; it decides the first-response target.
    Channel, "channel", {
    Chat => "chat" / "Chat",
    Email => "email" / "Email",
    Call => "call" / "Call",
    SelfServe => "self-serve" / "Self-serve",
});

words!(Priority, "priority", {
    Low => "low" / "Low",
    Normal => "normal" / "Normal",
    High => "high" / "High",
    Urgent => "urgent" / "Urgent",
});

words!(
    /// A payment status change from billing.
    PaymentStatus, "payment status", {
    Current => "current" / "Current",
    Late => "late" / "Late",
    Failed => "failed" / "Failed",
});

words!(
    /// The kind of a raw signal row.
    SignalKind, "signal kind", {
    Login => "login" / "Login",
    Feature => "feature" / "Feature use",
    Nps => "nps" / "NPS",
    Csat => "csat" / "CSAT",
    Payment => "payment" / "Payment",
});

words!(
    /// The steps of the ticket SOP, in order, then closed.
    Step, "SOP step", {
    Acknowledge => "acknowledge" / "Acknowledge",
    Diagnose => "diagnose" / "Diagnose",
    Resolve => "resolve" / "Resolve",
    FollowUp => "follow-up" / "Follow up",
    Closed => "closed" / "Closed",
});

words!(
    /// The health tier of an account.
    Tier, "tier", {
    Healthy => "healthy" / "Healthy",
    Neutral => "neutral" / "Neutral",
    AtRisk => "at-risk" / "At risk",
    Critical => "critical" / "Critical",
});

words!(
    /// How one raw signal reads against the signal table.
    Level, "level", {
    Healthy => "healthy" / "Healthy",
    Warning => "warning" / "Warning",
    Critical => "critical" / "Critical",
});

words!(
    /// The support tier handling a ticket.
    SupportTier, "support tier", {
    One => "1" / "Tier 1",
    Two => "2" / "Tier 2",
});

impl SupportTier {
    pub fn number(self) -> i64 {
        match self {
            SupportTier::One => 1,
            SupportTier::Two => 2,
        }
    }
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(SupportTier::One),
            2 => Some(SupportTier::Two),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_accept_labels() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(*s));
        }
        assert_eq!("At risk".parse::<Tier>(), Ok(Tier::AtRisk));
        assert_eq!("at_risk".parse::<Tier>(), Ok(Tier::AtRisk));
        assert_eq!("FOLLOW UP".parse::<Step>(), Ok(Step::FollowUp));
        assert_eq!("self_serve".parse::<Channel>(), Ok(Channel::SelfServe));
    }

    #[test]
    fn unknown_word_names_the_valid_ones() {
        let err = "purple".parse::<Tier>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'purple' is not a valid tier; valid values: healthy, neutral, at-risk, critical"
        );
    }
}
