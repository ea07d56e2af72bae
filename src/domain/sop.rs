//! The ticket SOP: Acknowledge -> Diagnose -> Resolve -> Follow up, then closed.
//! A ticket moves forward one step at a time when the step's checklist is done, or with a
//! logged override reason; it moves back only with a reason; it can be escalated from tier 1
//! to tier 2 at any open step.

use super::{Step, SupportTier};
use thiserror::Error;

impl Step {
    /// The four working steps, in order.
    pub const SOP: [Step; 4] = [Step::Acknowledge, Step::Diagnose, Step::Resolve, Step::FollowUp];

    pub fn next(self) -> Option<Step> {
        match self {
            Step::Acknowledge => Some(Step::Diagnose),
            Step::Diagnose => Some(Step::Resolve),
            Step::Resolve => Some(Step::FollowUp),
            Step::FollowUp => Some(Step::Closed),
            Step::Closed => None,
        }
    }

    pub fn previous(self) -> Option<Step> {
        match self {
            Step::Acknowledge => None,
            Step::Diagnose => Some(Step::Acknowledge),
            Step::Resolve => Some(Step::Diagnose),
            Step::FollowUp => Some(Step::Resolve),
            Step::Closed => Some(Step::FollowUp),
        }
    }

    /// 0-3 for the working steps, 4 when closed.
    pub fn index(self) -> usize {
        match self {
            Step::Acknowledge => 0,
            Step::Diagnose => 1,
            Step::Resolve => 2,
            Step::FollowUp => 3,
            Step::Closed => 4,
        }
    }

    /// The step's checklist.
    pub fn checklist(self) -> &'static [&'static str] {
        match self {
            Step::Acknowledge => &["Respond within target time", "Show empathy", "Confirm understanding"],
            Step::Diagnose => &["Gather needed info", "Check user context", "Identify root cause"],
            Step::Resolve => &["Provide clear solution", "Include next steps", "Offer additional help"],
            Step::FollowUp => &["Confirm resolution", "Ask for feedback", "Update docs if common"],
            Step::Closed => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SopError {
    #[error("the ticket is closed; move it back with a reason to reopen it")]
    Closed,
    #[error("the {step} checklist is not done (missing: {missing}); tick the items or give an override reason")]
    ChecklistIncomplete { step: &'static str, missing: String },
    #[error("moving a ticket back needs a reason")]
    BackNeedsReason,
    #[error("the ticket is at the first step; there is no step before Acknowledge")]
    AtFirstStep,
    #[error("escalating needs a reason")]
    EscalateNeedsReason,
    #[error("the ticket is already at tier 2")]
    AlreadyTierTwo,
    #[error("checklist item {item} does not exist at {step}; it has items 1 to {count}")]
    NoSuchItem {
        step: &'static str,
        item: usize,
        count: usize,
    },
}

/// A step change the SOP allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: Step,
    pub to: Step,
    /// The reason when the checklist was overridden or the ticket moved back.
    pub reason: Option<String>,
}

impl Move {
    pub fn is_override(&self) -> bool {
        self.to.index() > self.from.index() && self.reason.is_some()
    }
    pub fn is_back(&self) -> bool {
        self.to.index() < self.from.index()
    }
}

fn given(reason: Option<&str>) -> Option<String> {
    reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string)
}

/// Forward one step. `done[i]` says whether checklist item i of the current step is done.
/// With the checklist complete any reason is ignored; otherwise a reason is required.
pub fn advance(step: Step, done: &[bool], reason: Option<&str>) -> Result<Move, SopError> {
    let to = step.next().ok_or(SopError::Closed)?;
    let items = step.checklist();
    let missing: Vec<&str> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| !done.get(*i).copied().unwrap_or(false))
        .map(|(_, item)| *item)
        .collect();
    if missing.is_empty() {
        return Ok(Move {
            from: step,
            to,
            reason: None,
        });
    }
    match given(reason) {
        Some(reason) => Ok(Move {
            from: step,
            to,
            reason: Some(reason),
        }),
        None => Err(SopError::ChecklistIncomplete {
            step: step.label(),
            missing: missing.join(", "),
        }),
    }
}

/// Back one step; closed tickets reopen at Follow up.
pub fn back(step: Step, reason: Option<&str>) -> Result<Move, SopError> {
    let to = step.previous().ok_or(SopError::AtFirstStep)?;
    let reason = given(reason).ok_or(SopError::BackNeedsReason)?;
    Ok(Move {
        from: step,
        to,
        reason: Some(reason),
    })
}

/// Tier 1 -> tier 2, at any open step, with a reason.
pub fn escalate(step: Step, tier: SupportTier, reason: Option<&str>) -> Result<String, SopError> {
    if step == Step::Closed {
        return Err(SopError::Closed);
    }
    if tier == SupportTier::Two {
        return Err(SopError::AlreadyTierTwo);
    }
    given(reason).ok_or(SopError::EscalateNeedsReason)
}

/// Check a 1-based checklist item number against the step.
pub fn checklist_item(step: Step, item: usize) -> Result<usize, SopError> {
    let count = step.checklist().len();
    if item >= 1 && item <= count {
        Ok(item - 1)
    } else {
        Err(SopError::NoSuchItem {
            step: step.label(),
            item,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_in_order() {
        let mut s = Step::Acknowledge;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            seen.push(n);
            s = n;
        }
        assert_eq!(
            seen,
            vec![
                Step::Acknowledge,
                Step::Diagnose,
                Step::Resolve,
                Step::FollowUp,
                Step::Closed
            ]
        );
        assert_eq!(Step::Closed.previous(), Some(Step::FollowUp));
        assert_eq!(Step::Acknowledge.previous(), None);
    }

    #[test]
    fn checklists_are_the_frameworks() {
        assert_eq!(Step::Acknowledge.checklist()[0], "Respond within target time");
        assert_eq!(Step::Diagnose.checklist()[2], "Identify root cause");
        assert_eq!(Step::Resolve.checklist()[1], "Include next steps");
        assert_eq!(Step::FollowUp.checklist()[2], "Update docs if common");
        for s in Step::SOP {
            assert_eq!(s.checklist().len(), 3);
        }
    }

    #[test]
    fn advance_needs_checklist_or_reason() {
        let m = advance(Step::Acknowledge, &[true, true, true], None).unwrap();
        assert_eq!(
            (m.from, m.to, m.is_override()),
            (Step::Acknowledge, Step::Diagnose, false)
        );
        let err = advance(Step::Acknowledge, &[true, false, true], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Acknowledge checklist is not done (missing: Show empathy); tick the items or give an override reason"
        );
        assert!(advance(Step::Diagnose, &[], Some("   ")).is_err());
        let m = advance(Step::Diagnose, &[], Some("customer found it")).unwrap();
        assert!(m.is_override());
        assert_eq!(m.to, Step::Resolve);
        let m = advance(Step::FollowUp, &[true; 3], None).unwrap();
        assert_eq!(m.to, Step::Closed);
        assert_eq!(advance(Step::Closed, &[], Some("x")), Err(SopError::Closed));
    }

    #[test]
    fn back_needs_reason() {
        assert_eq!(back(Step::Resolve, None), Err(SopError::BackNeedsReason));
        assert_eq!(back(Step::Acknowledge, Some("x")), Err(SopError::AtFirstStep));
        let m = back(Step::Resolve, Some("fix did not work")).unwrap();
        assert_eq!(m.to, Step::Diagnose);
        assert!(m.is_back());
        assert!(!m.is_override());
        assert_eq!(back(Step::Closed, Some("reopened")).unwrap().to, Step::FollowUp);
    }

    #[test]
    fn escalation_rules() {
        assert_eq!(
            escalate(Step::Diagnose, SupportTier::One, Some("bug")),
            Ok("bug".to_string())
        );
        assert_eq!(
            escalate(Step::Diagnose, SupportTier::One, None),
            Err(SopError::EscalateNeedsReason)
        );
        assert_eq!(
            escalate(Step::Diagnose, SupportTier::Two, Some("x")),
            Err(SopError::AlreadyTierTwo)
        );
        assert_eq!(
            escalate(Step::Closed, SupportTier::One, Some("x")),
            Err(SopError::Closed)
        );
    }

    #[test]
    fn checklist_item_numbers() {
        assert_eq!(checklist_item(Step::Resolve, 1), Ok(0));
        assert_eq!(checklist_item(Step::Resolve, 3), Ok(2));
        assert!(checklist_item(Step::Resolve, 4).is_err());
        assert!(checklist_item(Step::Resolve, 0).is_err());
        assert!(checklist_item(Step::Closed, 1).is_err());
    }
}
