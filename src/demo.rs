//! Deterministic, realistic sample data: every tier, stage and segment, tickets at every SOP
//! step, breached and on-time clocks, an NPS spread, late and failed payments, churned accounts.
//! Generation is pure; the rows go to a `DemoSink` (the store's bulk writer).

use crate::domain::sla::SlaTargets;
use crate::domain::{
    AccountStatus, Channel, DAY, HOUR, PaymentStatus, Priority, Segment, SignalKind, Stage, Step, Timestamp,
};
use crate::store::{NewAccount, NewTicket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub accounts: usize,
    pub tickets: usize,
    /// Days of signal history.
    pub days: i64,
    /// A target for the total number of signals; None for each account's natural activity.
    pub signals: Option<usize>,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            accounts: 60,
            tickets: 300,
            days: 90,
            signals: None,
            seed: 42,
        }
    }
}

/// One raw signal.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSignal {
    pub account: i64,
    pub kind: SignalKind,
    pub at: Timestamp,
    pub feature: Option<&'static str>,
    pub core: Option<bool>,
    pub score: Option<u32>,
    pub payment: Option<PaymentStatus>,
}

/// A ticket with the history it has already lived through.
#[derive(Debug, Clone)]
pub struct DemoTicket {
    pub new: NewTicket,
    pub step: Step,
    pub support_tier: i64,
    pub acknowledged_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub waiting_since: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
    pub csat: Option<u32>,
    /// How many items of the current step's checklist are already ticked.
    pub checked: usize,
    pub escalation: Option<&'static str>,
}

/// Where generated rows go.
pub trait DemoSink {
    type Error;
    fn account(&mut self, a: &NewAccount) -> Result<i64, Self::Error>;
    fn contact(&mut self, account: i64, name: &str, email: &str, role: &str) -> Result<i64, Self::Error>;
    fn signal(&mut self, s: &DemoSignal) -> Result<(), Self::Error>;
    fn ticket(&mut self, t: &DemoTicket, sla: &SlaTargets) -> Result<i64, Self::Error>;
    /// A change in monthly revenue: kind is new, expansion, contraction or churn.
    fn revenue(&mut self, account: i64, at: Timestamp, kind: &str, before: i64, after: i64) -> Result<(), Self::Error>;
}

const PREFIXES: &[&str] = &[
    "Acme",
    "Bluebird",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orchard",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidal",
    "Umber",
    "Vertex",
    "Willow",
    "Xenon",
    "Yarrow",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Driftwood",
];
const SUFFIXES: &[&str] = &[
    "Analytics",
    "Bakery",
    "Clinics",
    "Dental",
    "Logistics",
    "Foods",
    "Robotics",
    "Studios",
    "Legal",
    "Fitness",
    "Travel",
    "Labs",
    "Outfitters",
    "Realty",
    "Media",
    "Systems",
    "Coffee",
    "Learning",
    "Health",
    "Energy",
];
const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Maya", "Nikhil",
    "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lopez",
    "Murphy", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Singh", "Tanaka",
];
const ROLES: &[&str] = &[
    "Founder",
    "Operations lead",
    "Admin",
    "Finance",
    "Engineer",
    "Marketing manager",
];
const CORE_FEATURES: &[&str] = &[
    "dashboards",
    "reports",
    "automations",
    "integrations",
    "team-workspaces",
];
const OTHER_FEATURES: &[&str] = &[
    "csv-export",
    "dark-mode",
    "mobile-app",
    "api-keys",
    "templates",
    "notifications",
];
const OWNERS: &[&str] = &["sam", "alex", "priya"];
const CHURN_REASONS: &[&str] = &[
    "Too expensive",
    "Missing a feature we needed",
    "Switched to a competitor",
    "No longer needed",
    "Poor support experience",
];

/// (subject, tags)
const SUBJECTS: &[(&str, &str)] = &[
    ("Cannot log in after password reset", "login,account"),
    ("CSV export times out on large reports", "export,performance"),
    ("Invoice shows the wrong VAT number", "billing"),
    ("How do I invite my team?", "onboarding,how-to"),
    ("Dashboard numbers do not match our records", "data,reports"),
    ("Card declined on renewal", "billing,payment"),
    ("Please add SSO with Okta", "feature-request,security"),
    ("Integration with Shopify stopped syncing", "integrations,bug"),
    ("Automation ran twice overnight", "automations,bug"),
    ("Request: dark mode for the mobile app", "feature-request,mobile"),
    ("Slow page loads since Monday", "performance"),
    ("Need help setting up our first report", "onboarding,reports"),
    ("Can we get an annual plan discount?", "billing,pricing"),
    ("Emails from the app land in spam", "notifications,bug"),
    ("Data import failed with an encoding error", "import,bug"),
    ("Feature request: custom fields on contacts", "feature-request"),
    ("Two-factor codes not arriving", "login,security"),
    ("Cancel our subscription", "billing,churn-risk"),
];
const BODIES: &[&str] = &[
    "Hi, since this morning we are stuck. Could you take a look? Thanks.",
    "We rely on this every day and it is blocking the team. Please advise.",
    "Not urgent, but we would love to know how to do this properly.",
    "This happened again today. Screenshots attached in the previous email.",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Profile {
    Thriving,
    Steady,
    Slipping,
    Failing,
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn date(t: Timestamp) -> String {
    crate::store::day_of(t)
}

/// Generate the whole set into the sink, in a deterministic order for a given seed and `now`.
pub fn generate<S: DemoSink>(
    opts: &DemoOptions,
    now: Timestamp,
    sla: &SlaTargets,
    sink: &mut S,
) -> Result<DemoCounts, S::Error> {
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    // revenue history draws from its own stream, so the rest of the data is the same with or without it
    let mut revenue_rng = fastrand::Rng::with_seed(opts.seed ^ 0x005e_ed0f_4e7e);
    let days = opts.days.max(31);
    let mut counts = DemoCounts::default();
    let mut accounts: Vec<(i64, Profile, bool, Vec<i64>)> = Vec::with_capacity(opts.accounts);
    // when a total is asked for, what the accounts' own signals should add up to: the CSAT
    // answers of closed tickets come on top
    let account_target = opts.signals.map(|s| s.saturating_sub(expected_csat(opts.tickets)));

    for i in 0..opts.accounts {
        let profile = match i % 20 {
            0..=6 => Profile::Thriving,
            7..=12 => Profile::Steady,
            13..=16 => Profile::Slipping,
            _ => Profile::Failing,
        };
        let segment = match i % 7 {
            0 => Segment::Enterprise,
            1..=3 => Segment::Smb,
            _ => Segment::SelfServe,
        };
        let (plan, mrr) = match segment {
            Segment::Enterprise => ("Enterprise", 150_000 + rng.i64(0..350_000)),
            Segment::Smb => ("Growth", 20_000 + rng.i64(0..60_000)),
            Segment::SelfServe => (if rng.bool() { "Starter" } else { "Pro" }, 2_900 + rng.i64(0..9_000)),
        };
        let stage = Stage::ALL[(i / 3) % Stage::ALL.len()];
        let signup_days_ago = match stage {
            Stage::Onboarding => 10 + rng.i64(0..25),
            _ => 60 + rng.i64(0..900),
        };
        let signup = now - signup_days_ago * DAY;
        let renewal = now + (rng.i64(-20..330)) * DAY;
        let churned = i % 13 == 12;
        let base = if i < PREFIXES.len() * SUFFIXES.len() {
            format!(
                "{} {}",
                PREFIXES[i % PREFIXES.len()],
                SUFFIXES[(i / PREFIXES.len() + i) % SUFFIXES.len()]
            )
        } else {
            format!(
                "{} {} {}",
                PREFIXES[i % PREFIXES.len()],
                SUFFIXES[(i / PREFIXES.len() + i) % SUFFIXES.len()],
                i
            )
        };
        let domain = format!("{}.example", base.to_ascii_lowercase().replace(' ', "-"));
        let account = NewAccount {
            external_id: Some(format!("demo-{:06}", i + 1)),
            name: base,
            segment,
            plan: plan.to_string(),
            mrr_cents: mrr,
            stage,
            owner: Some(pick(&mut rng, OWNERS).to_string()),
            signup_date: date(signup),
            renewal_date: (!churned).then(|| date(renewal)),
            status: if churned {
                AccountStatus::Churned
            } else {
                AccountStatus::Active
            },
            churned_on: churned.then(|| date(now - rng.i64(5..80) * DAY)),
            churn_reason: churned.then(|| pick(&mut rng, CHURN_REASONS).to_string()),
        };
        let id = sink.account(&account)?;
        counts.accounts += 1;
        // expansion and advocacy accounts grew into today's revenue, some of them recently
        let expanded = matches!(stage, Stage::Expansion | Stage::Advocacy) && revenue_rng.bool();
        let first_mrr = if expanded { mrr * 7 / 10 } else { mrr };
        sink.revenue(id, signup, "new", 0, first_mrr)?;
        if expanded {
            let at = now - revenue_rng.i64(1..=120.min(signup_days_ago)) * DAY;
            sink.revenue(id, at, "expansion", first_mrr, mrr)?;
        }
        if let Some(on) = &account.churned_on {
            let at = chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .map(|d| d.and_utc().timestamp())
                .unwrap_or(now);
            sink.revenue(id, at, "churn", mrr, 0)?;
        }
        let mut contacts = Vec::new();
        for c in 0..(1 + i % 3) {
            let first = pick(&mut rng, FIRST);
            let last = pick(&mut rng, LAST);
            let email = format!("{}.{}@{domain}", first.to_ascii_lowercase(), last.to_ascii_lowercase());
            contacts.push(sink.contact(id, &format!("{first} {last}"), &email, ROLES[(i + c) % ROLES.len()])?);
            counts.contacts += 1;
        }
        // each account aims at an equal share of what is left, so the total comes out close
        let budget = account_target.map(|t| t.saturating_sub(counts.signals) as f64 / (opts.accounts - i) as f64);
        counts.signals += signals_for(&mut rng, sink, id, profile, now, days.min(signup_days_ago), budget)?;
        accounts.push((id, profile, churned, contacts));
    }

    let active: Vec<&(i64, Profile, bool, Vec<i64>)> = accounts.iter().filter(|a| !a.2).collect();
    if active.is_empty() {
        return Ok(counts);
    }
    for n in 0..opts.tickets {
        // struggling accounts write in more often
        let a = loop {
            let cand = pick(&mut rng, &active);
            let keep = match cand.1 {
                Profile::Thriving => rng.u8(..10) < 3,
                Profile::Steady => rng.u8(..10) < 5,
                _ => true,
            };
            if keep {
                break cand;
            }
        };
        let t = ticket_for(&mut rng, n, a.0, a.3.first().copied(), now, days);
        sink.ticket(&t, sla)?;
        counts.tickets += 1;
        // a closed ticket's CSAT answer is a signal too
        if t.csat.is_some() && t.closed_at.is_some() {
            counts.signals += 1;
        }
    }
    Ok(counts)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoCounts {
    pub accounts: usize,
    pub contacts: usize,
    pub signals: usize,
    pub tickets: usize,
}

fn signals_for<S: DemoSink>(
    rng: &mut fastrand::Rng,
    sink: &mut S,
    account: i64,
    profile: Profile,
    now: Timestamp,
    days: i64,
    budget: Option<f64>,
) -> Result<usize, S::Error> {
    let mut n = 0;
    let mut emit = |sink: &mut S, s: DemoSignal| -> Result<(), S::Error> {
        n += 1;
        sink.signal(&s)
    };
    // login chance per day, by days ago
    let login_chance = |d: i64| -> f32 {
        match profile {
            Profile::Thriving => 0.8,
            Profile::Steady => {
                if (7..14).contains(&d) {
                    0.0
                } else {
                    0.5
                }
            }
            Profile::Slipping => {
                if d < 14 {
                    0.0
                } else if d < 31 {
                    0.15
                } else {
                    0.5
                }
            }
            Profile::Failing => {
                if d < 35 {
                    0.0
                } else {
                    0.3
                }
            }
        }
    };
    let (core_used, other_used) = match profile {
        Profile::Thriving => (3 + rng.usize(0..3), 2),
        Profile::Steady => (1 + rng.usize(0..2), 2),
        Profile::Slipping => (0, 2),
        Profile::Failing => (0, 0),
    };
    let core_here = |d: i64| {
        if profile == Profile::Failing || (profile == Profile::Slipping && d < 31) {
            0
        } else {
            core_used
        }
    };
    // with a budget, the logins of each day are planned up front (days ago -> logins)
    let planned = budget.map(|b| plan_logins(rng, b, profile, days, &login_chance, &core_here, other_used > 0));
    for d in (0..days).rev() {
        let day_start = now - d * DAY;
        let logins = match &planned {
            Some(plan) => plan.get(d as usize).copied().unwrap_or(0),
            None => usize::from(rng.f32() < login_chance(d)),
        };
        for _ in 0..logins {
            emit(
                sink,
                DemoSignal {
                    account,
                    kind: SignalKind::Login,
                    at: day_start - rng.i64(0..10 * HOUR),
                    feature: None,
                    core: None,
                    score: None,
                    payment: None,
                },
            )?;
        }
        if logins > 0 {
            // feature use on active days, inside the window the profile allows
            let core_here = core_here(d);
            if core_here > 0 {
                emit(
                    sink,
                    DemoSignal {
                        account,
                        kind: SignalKind::Feature,
                        at: day_start - rng.i64(0..10 * HOUR),
                        feature: Some(CORE_FEATURES[rng.usize(0..core_here.min(CORE_FEATURES.len()))]),
                        core: Some(true),
                        score: None,
                        payment: None,
                    },
                )?;
            }
            if other_used > 0 && rng.bool() {
                emit(
                    sink,
                    DemoSignal {
                        account,
                        kind: SignalKind::Feature,
                        at: day_start - rng.i64(0..10 * HOUR),
                        feature: Some(OTHER_FEATURES[rng.usize(0..other_used)]),
                        core: Some(false),
                        score: None,
                        payment: None,
                    },
                )?;
            }
        }
    }
    // one NPS answer in the last 90 days
    let nps = match profile {
        Profile::Thriving => 9 + rng.u32(0..2),
        Profile::Steady => 7 + rng.u32(0..2),
        Profile::Slipping => 6 + rng.u32(0..3),
        Profile::Failing => rng.u32(0..6),
    };
    emit(
        sink,
        DemoSignal {
            account,
            kind: SignalKind::Nps,
            at: now - rng.i64(1..80) * DAY,
            feature: None,
            core: None,
            score: Some(nps),
            payment: None,
        },
    )?;
    // billing: a current payment each month, and trouble for some
    let months = (days / 30).max(1);
    for m in (0..months).rev() {
        emit(
            sink,
            DemoSignal {
                account,
                kind: SignalKind::Payment,
                at: now - (m * 30 + 3) * DAY,
                feature: None,
                core: None,
                score: None,
                payment: Some(PaymentStatus::Current),
            },
        )?;
    }
    let trouble = match profile {
        Profile::Slipping if rng.u8(..3) == 0 => Some(PaymentStatus::Late),
        Profile::Failing if rng.bool() => Some(PaymentStatus::Failed),
        Profile::Failing => Some(PaymentStatus::Late),
        _ => None,
    };
    if let Some(p) = trouble {
        emit(
            sink,
            DemoSignal {
                account,
                kind: SignalKind::Payment,
                at: now - rng.i64(0..2) * DAY - HOUR,
                feature: None,
                core: None,
                score: None,
                payment: Some(p),
            },
        )?;
    }
    Ok(n)
}

/// The logins of each day (by days ago) that bring an account's signals close to `budget`:
/// the days the profile makes active are drawn first; then either every active day logs in, as
/// often as the budget allows, or (on a budget below the account's natural activity) each
/// active day logs in with the chance that fits. Feature use follows login days as usual.
fn plan_logins(
    rng: &mut fastrand::Rng,
    budget: f64,
    profile: Profile,
    days: i64,
    login_chance: &dyn Fn(i64) -> f32,
    core_here: &dyn Fn(i64) -> usize,
    other_features: bool,
) -> Vec<usize> {
    let active: Vec<bool> = (0..days).map(|d| rng.f32() < login_chance(d)).collect();
    let active_days = active.iter().filter(|a| **a).count() as f64;
    // feature signals a login day brings, on average
    let features: f64 = (0..days)
        .filter(|d| active[*d as usize])
        .map(|d| f64::from(u8::from(core_here(d) > 0)) + if other_features { 0.5 } else { 0.0 })
        .sum();
    let trouble = match profile {
        Profile::Slipping => 1.0 / 3.0,
        Profile::Failing => 1.0,
        _ => 0.0,
    };
    let fixed = 1.0 + (days / 30).max(1) as f64 + trouble;
    let room = (budget - fixed).max(0.0);
    let (per_day, chance) = if active_days == 0.0 {
        (0.0, 0.0)
    } else if room >= active_days + features {
        ((room - features) / active_days, 1.0)
    } else {
        (1.0, room / (active_days + features))
    };
    active
        .iter()
        .map(|a| {
            if !*a || rng.f64() >= chance {
                return 0;
            }
            let whole = per_day.floor();
            whole as usize + usize::from(rng.f64() < per_day - whole)
        })
        .collect()
}

/// How many CSAT answers `ticket_for` gives `tickets` tickets, on average: the three quarters
/// that are history are closed 39 times in 40, and one closed ticket in three is rated.
fn expected_csat(tickets: usize) -> usize {
    let history = tickets - tickets.div_ceil(4);
    (history as f64 * 39.0 / 40.0 / 3.0).round() as usize
}

fn ticket_for(
    rng: &mut fastrand::Rng,
    n: usize,
    account: i64,
    contact: Option<i64>,
    now: Timestamp,
    days: i64,
) -> DemoTicket {
    let (subject, tags) = *pick(rng, SUBJECTS);
    let channel = match rng.u8(..10) {
        0..=4 => Channel::Email,
        5..=7 => Channel::Chat,
        8 => Channel::Call,
        _ => Channel::SelfServe,
    };
    let priority = match rng.u8(..10) {
        0..=1 => Priority::Low,
        2..=6 => Priority::Normal,
        7..=8 => Priority::High,
        _ => Priority::Urgent,
    };
    // a quarter of tickets are recent (last 30 hours, most in the last few) and mostly open; the rest are history
    let recent = n % 4 == 0;
    let age = if recent {
        10 * 60 + (rng.f64().powi(2) * (30 * HOUR) as f64) as i64
    } else {
        rng.i64(3 * DAY..days * DAY)
    };
    let opened = now - age;
    let step = if recent {
        Step::SOP[rng.usize(0..4)]
    } else if rng.u8(..40) == 0 {
        Step::SOP[rng.usize(1..4)]
    } else {
        Step::Closed
    };
    let ack = opened + rng.i64(5 * 60..(if channel == Channel::Chat { 2 * HOUR } else { 30 * HOUR }));
    let (acknowledged_at, first_response_at) = if step == Step::Acknowledge || ack > now {
        (
            None,
            if channel == Channel::SelfServe {
                Some(opened)
            } else {
                None
            },
        )
    } else {
        (
            Some(ack),
            Some(if channel == Channel::SelfServe { opened } else { ack }),
        )
    };
    let resolved = ack + rng.i64(HOUR..40 * HOUR);
    let resolved_at = matches!(step, Step::FollowUp | Step::Closed).then_some(resolved.min(now));
    let closed_at = (step == Step::Closed).then(|| (resolved + rng.i64(HOUR..48 * HOUR)).min(now));
    let waiting_since =
        (step == Step::Diagnose && rng.u8(..4) == 0).then(|| now - rng.i64(HOUR..20 * HOUR).min(age / 2));
    let snoozed_until = (step == Step::Resolve && rng.u8(..5) == 0).then(|| now + rng.i64(2 * HOUR..3 * DAY));
    let csat = (step == Step::Closed && rng.u8(..3) == 0).then(|| match rng.u8(..10) {
        0 => 2,
        1..=2 => 3,
        3..=5 => 4,
        _ => 5,
    });
    DemoTicket {
        new: NewTicket {
            external_id: Some(format!("demo-t{:07}", n + 1)),
            account_id: account,
            contact_id: contact,
            subject: subject.to_string(),
            body: pick(rng, BODIES).to_string(),
            channel,
            priority,
            assignee: if rng.u8(..4) == 0 {
                None
            } else {
                Some(pick(rng, OWNERS).to_string())
            },
            tags: tags.split(',').map(str::to_string).collect(),
            opened_at: opened,
            message_id: (channel == Channel::Email).then(|| format!("demo-t{:07}@mail.customer.example", n + 1)),
        },
        step,
        support_tier: if rng.u8(..6) == 0 { 2 } else { 1 },
        acknowledged_at,
        first_response_at,
        resolved_at,
        closed_at,
        waiting_since,
        snoozed_until,
        csat,
        checked: if step == Step::Closed { 0 } else { rng.usize(0..3) },
        escalation: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts what would be written.
    #[derive(Default)]
    struct Tally {
        accounts: i64,
        signals: usize,
        csat: usize,
    }

    impl DemoSink for Tally {
        type Error = std::convert::Infallible;
        fn account(&mut self, _: &NewAccount) -> Result<i64, Self::Error> {
            self.accounts += 1;
            Ok(self.accounts)
        }
        fn contact(&mut self, _: i64, _: &str, _: &str, _: &str) -> Result<i64, Self::Error> {
            Ok(0)
        }
        fn signal(&mut self, _: &DemoSignal) -> Result<(), Self::Error> {
            self.signals += 1;
            Ok(())
        }
        fn ticket(&mut self, t: &DemoTicket, _: &SlaTargets) -> Result<i64, Self::Error> {
            // the store writes a closed ticket's rating as a CSAT signal
            if t.csat.is_some() && t.closed_at.is_some() {
                self.csat += 1;
            }
            Ok(0)
        }
        fn revenue(&mut self, _: i64, _: Timestamp, _: &str, _: i64, _: i64) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    const NOW: Timestamp = 1_795_338_000;

    fn run(accounts: usize, tickets: usize, signals: Option<usize>) -> (DemoCounts, Tally) {
        let opts = DemoOptions {
            accounts,
            tickets,
            signals,
            ..DemoOptions::default()
        };
        let mut tally = Tally::default();
        let Ok(counts) = generate(&opts, NOW, &SlaTargets::default(), &mut tally);
        (counts, tally)
    }

    #[test]
    fn the_signal_count_is_what_was_written_ratings_included() {
        let (counts, tally) = run(60, 300, None);
        assert_eq!(counts.signals, tally.signals + tally.csat);
        assert!(tally.csat > 0);
    }

    #[test]
    fn an_asked_for_total_of_signals_comes_out_within_one_percent() {
        // about the natural activity, well above it (many logins a day), well below it
        for (accounts, tickets, asked) in [(2_000, 20_000, 200_000), (300, 1_000, 300_000), (1_000, 4_000, 20_000)] {
            let (counts, tally) = run(accounts, tickets, Some(asked));
            assert_eq!(counts.signals, tally.signals + tally.csat);
            let off = (counts.signals as f64 - asked as f64).abs() / asked as f64;
            assert!(off < 0.01, "{accounts} accounts, asked {asked}, got {}", counts.signals);
        }
    }

    #[test]
    fn expected_csat_matches_the_tickets_generated() {
        let (_, tally) = run(200, 40_000, None);
        let expected = expected_csat(40_000) as f64;
        assert!(
            (tally.csat as f64 - expected).abs() / expected < 0.03,
            "{} vs {expected}",
            tally.csat
        );
    }
}
