//! Mail into conversations: threading by Message-ID, In-Reply-To and References, then by subject
//! where those headers are missing; and what a conversation's messages say about its ticket.

use super::{DAY, Step, Timestamp};
use std::collections::HashMap;

const PREFIXES: &[&str] = &["re", "fwd", "fw", "aw", "sv", "wg", "antw", "vs", "tr", "rif"];

/// Strip reply and forward prefixes (`Re:`, `Fwd:`, `AW:`, `Re[2]:`) and leading `[list]` tags.
pub fn clean_subject(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t;
        if let Some(rest) = t.strip_prefix('[')
            && let Some(end) = rest.find(']')
        {
            t = rest[end + 1..].trim_start();
        }
        if let Some(colon) = t.find(':') {
            let word = t[..colon].trim();
            let base = word.split('[').next().unwrap_or(word).trim();
            if PREFIXES.iter().any(|p| base.eq_ignore_ascii_case(p)) {
                t = t[colon + 1..].trim_start();
            }
        }
        if t == before {
            break;
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The subject for comparing: cleaned and lower-case.
pub fn normalise_subject(s: &str) -> String {
    clean_subject(s).to_lowercase()
}

/// Whether a subject says it answers or forwards an earlier message.
pub fn has_reply_prefix(s: &str) -> bool {
    let t = s.trim();
    let t = match t.strip_prefix('[').and_then(|r| r.find(']').map(|e| &r[e + 1..])) {
        Some(rest) => rest.trim_start(),
        None => t,
    };
    t.find(':').is_some_and(|colon| {
        let word = t[..colon].trim();
        let base = word.split('[').next().unwrap_or(word).trim();
        PREFIXES.iter().any(|p| base.eq_ignore_ascii_case(p))
    })
}

/// What threading needs of a message.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub key: &'a str,
    /// In-Reply-To, then References (newest first), without angle brackets.
    pub parents: Vec<&'a str>,
    pub subject: &'a str,
    pub at: Timestamp,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Group messages into conversations. A message joins the conversation of any message it names
/// in In-Reply-To or References. One that names none found here or already stored
/// (`stored(key)`), and whose subject is a reply or forward, joins the earlier conversation with
/// the same subject. Each conversation lists its messages by time; conversations by first message.
pub fn thread(msgs: &[Meta], stored: impl Fn(&str) -> bool) -> Vec<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        index.entry(m.key).or_insert(i);
    }
    let mut parent: Vec<usize> = (0..msgs.len()).collect();
    for (i, m) in msgs.iter().enumerate() {
        for p in &m.parents {
            if let Some(&j) = index.get(p) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..msgs.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    for g in &mut groups {
        g.sort_by_key(|&i| (msgs[i].at, i));
    }
    groups.sort_by_key(|g| (msgs[g[0]].at, g[0]));
    // subject threading for conversations whose first message lost its parent
    let mut by_subject: HashMap<String, usize> = HashMap::new();
    let mut merged: Vec<Vec<usize>> = Vec::new();
    for g in groups {
        let first = &msgs[g[0]];
        let orphan = first.parents.iter().all(|p| !index.contains_key(p) && !stored(p));
        let norm = normalise_subject(first.subject);
        if orphan
            && has_reply_prefix(first.subject)
            && !norm.is_empty()
            && let Some(&into) = by_subject.get(&norm)
        {
            merged[into].extend(g);
            merged[into].sort_by_key(|&i| (msgs[i].at, i));
            continue;
        }
        if !norm.is_empty() {
            by_subject.entry(norm).or_insert(merged.len());
        }
        merged.push(g);
    }
    merged
}

/// A conversation's ticket, worked out from who wrote when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversation {
    pub opened_at: Timestamp,
    pub step: Step,
    pub first_response_at: Option<Timestamp>,
    pub waiting_since: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// From the messages in time order, as (time, written by us): opened at the first; first
/// response at our first reply; waiting on the customer when we wrote last; closed at the last
/// message when the conversation has been quiet for `closed_after_days`.
pub fn conversation(msgs: &[(Timestamp, bool)], closed_after_days: i64, now: Timestamp) -> Option<Conversation> {
    let (opened_at, _) = *msgs.first()?;
    let (last_at, last_ours) = *msgs.last()?;
    // a conversation only we have written in (an outreach) counts as answered when sent
    let all_ours = msgs.iter().all(|(_, ours)| *ours);
    let first_response_at = if all_ours {
        Some(opened_at)
    } else {
        msgs.iter().skip(1).find(|(_, ours)| *ours).map(|(at, _)| *at)
    };
    let last_reply = msgs.iter().rev().find(|(_, ours)| *ours).map(|(at, _)| *at);
    if now - last_at > closed_after_days * DAY {
        return Some(Conversation {
            opened_at,
            step: Step::Closed,
            first_response_at,
            waiting_since: None,
            resolved_at: Some(last_reply.unwrap_or(last_at)),
            closed_at: Some(last_at),
        });
    }
    let step = if first_response_at.is_some() {
        Step::Diagnose
    } else {
        Step::Acknowledge
    };
    Some(Conversation {
        opened_at,
        step,
        first_response_at,
        waiting_since: last_ours.then_some(last_at),
        resolved_at: None,
        closed_at: None,
    })
}

/// Whether an address is one of ours: `support@acme.io` exactly, or `@acme.io` for a domain.
pub fn is_ours(address: &str, support: &[String]) -> bool {
    let a = address.trim().to_ascii_lowercase();
    support.iter().any(|s| {
        let s = s.trim().to_ascii_lowercase();
        match s.strip_prefix('@') {
            Some(domain) => a.rsplit_once('@').is_some_and(|(_, d)| d == domain),
            None => a == s,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta<'a>(key: &'a str, parents: &[&'a str], subject: &'a str, at: i64) -> Meta<'a> {
        Meta {
            key,
            parents: parents.to_vec(),
            subject,
            at,
        }
    }

    #[test]
    fn subjects_lose_their_prefixes() {
        assert_eq!(
            clean_subject("Re: RE: Fwd: [users@httpd] Re:  Proxy   help"),
            "Proxy help"
        );
        assert_eq!(clean_subject("AW: Re[2]: Login"), "Login");
        assert_eq!(clean_subject("Regarding: the plan"), "Regarding: the plan");
        assert!(has_reply_prefix("Re: x"));
        assert!(has_reply_prefix("[users@httpd] Re: x"));
        assert!(!has_reply_prefix("Help: x"));
    }

    #[test]
    fn replies_join_by_headers_then_by_subject() {
        let msgs = vec![
            meta("a", &[], "Proxy help", 10),
            meta("b", &["a"], "Re: Proxy help", 20),
            meta("c", &["zz", "b"], "Re: Proxy help", 30), // References reach b
            meta("d", &[], "Re: Proxy help", 40),          // headers lost: joins by subject
            meta("e", &[], "Proxy help", 50),              // no prefix: a new conversation
            meta("f", &["gone"], "Fwd: Proxy help", 60),   // parent nowhere: subject
            meta("g", &["old"], "Re: Billing", 5),         // parent stored before
        ];
        let groups = thread(&msgs, |k| k == "old");
        assert_eq!(groups, vec![vec![6], vec![0, 1, 2, 3, 5], vec![4]]);
    }

    #[test]
    fn a_conversation_says_its_step() {
        let now = 100 * DAY;
        let c = conversation(&[(now - 5, false)], 30, now).unwrap();
        assert_eq!((c.step, c.first_response_at), (Step::Acknowledge, None));
        let c = conversation(&[(now - 50, false), (now - 40, true)], 30, now).unwrap();
        assert_eq!(
            (c.step, c.first_response_at, c.waiting_since),
            (Step::Diagnose, Some(now - 40), Some(now - 40))
        );
        let c = conversation(&[(now - 50, false), (now - 40, true), (now - 30, false)], 30, now).unwrap();
        assert_eq!(c.waiting_since, None);
        let c = conversation(&[(now - 90 * DAY, false), (now - 89 * DAY, true)], 30, now).unwrap();
        assert_eq!(
            (c.step, c.closed_at, c.resolved_at),
            (Step::Closed, Some(now - 89 * DAY), Some(now - 89 * DAY))
        );
        let c = conversation(&[(now - 5, true)], 30, now).unwrap();
        assert_eq!(
            (c.step, c.first_response_at, c.waiting_since),
            (Step::Diagnose, Some(now - 5), Some(now - 5))
        );
        assert!(is_ours("Help@Acme.io", &["help@acme.io".into()]));
        assert!(is_ours("ann@acme.io", &["@acme.io".into()]));
        assert!(!is_ours("ann@acme.io.evil", &["@acme.io".into()]));
    }
}
