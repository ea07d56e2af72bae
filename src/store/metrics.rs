//! What the Metrics view and the reports count: a period's KPI facts, the value KPIs' facts,
//! and the series behind the charts. Every query takes an optional segment.

use super::{Result, Store, day_of};
use crate::domain::health::HealthRules;
use crate::domain::metrics::{self, KpiRow, ONBOARDING_DAYS, PeriodFacts, ValueFacts};
use crate::domain::{DAY, Segment, Tier, Timestamp};
use rusqlite::params;
use serde::Serialize;
use std::collections::HashMap;

/// Everything the Metrics view shows for one period and segment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dashboard {
    pub days: i64,
    pub segment: Option<Segment>,
    /// The period's start (excluded) and end (included), as "2026-10-23 09:00 UTC".
    pub from: String,
    pub to: String,
    pub current: PeriodFacts,
    pub previous: PeriodFacts,
    pub kpis: Vec<KpiRow>,
    pub value: ValueFacts,
    pub value_previous: ValueFacts,
    /// The value KPIs' facts and the monthly churn for the last TREND_PERIODS periods of the
    /// same length, oldest first (the last is the current period): each value KPI's trend.
    pub value_trend: Vec<(ValueFacts, Option<f64>)>,
    /// Active accounts per tier, in the order Healthy, Neutral, At risk, Critical.
    pub tiers: Vec<(Tier, u64)>,
    /// Average health per day over the period, from the snapshots; a day without snapshots
    /// is absent, not zero.
    pub trend: Vec<(String, f64)>,
    /// Tickets opened per week, the last 12 weeks, oldest first, labelled by the week's first day.
    pub weekly_tickets: Vec<(String, u64)>,
    /// Tickets a week on average over the period, and the staffing that volume calls for.
    pub tickets_per_week: f64,
    pub staffing: metrics::Staffing,
    /// Accounts churned per calendar month, the last 6 months, oldest first.
    pub churn_by_month: Vec<(String, u64)>,
    /// Ticket tags in the period, most frequent first.
    pub top_tags: Vec<(String, u64)>,
}

/// A count read from SQL (always non-negative).
fn cnt(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, i64>(i)?.max(0) as u64)
}

/// How many periods the value KPIs' trends cover.
pub const TREND_PERIODS: i64 = 6;

/// The segment test every query appends, on accounts aliased `a`, with the segment as `?1`.
const SEG: &str = "(?1 IS NULL OR a.segment = ?1)";

impl Store {
    /// The KPI facts for the period (start, end].
    pub fn period_facts(&self, segment: Option<Segment>, start: Timestamp, end: Timestamp) -> Result<PeriodFacts> {
        let c = &self.conn;
        let seg = segment.map(|s| s.as_str());
        let days = ((end - start) / DAY).max(1);
        let (responded, response_secs): (u64, i64) = c
            .prepare_cached(&format!(
                "SELECT count(*), coalesce(sum(t.first_response_at - t.opened_at), 0) FROM tickets t \
             JOIN accounts a ON a.id = t.account_id \
             WHERE t.opened_at > ?2 AND t.opened_at <= ?3 AND t.first_response_at IS NOT NULL AND {SEG}"
            ))?
            .query_row(params![seg, start, end], |r| Ok((cnt(r, 0)?, r.get(1)?)))?;
        let (resolved, resolution_secs): (u64, i64) = c
            .prepare_cached(&format!(
                "SELECT count(*), coalesce(sum(max(t.resolved_at - t.opened_at - t.paused_secs, 0)), 0) FROM tickets t \
             JOIN accounts a ON a.id = t.account_id \
             WHERE t.resolved_at > ?2 AND t.resolved_at <= ?3 AND {SEG}"
            ))?
            .query_row(params![seg, start, end], |r| Ok((cnt(r, 0)?, r.get(1)?)))?;
        let (csat_ratings, csat_satisfied): (u64, u64) = c
            .prepare_cached(&format!(
                "SELECT count(*), coalesce(sum(s.score >= 4), 0) FROM signals s JOIN accounts a ON a.id = s.account_id \
             WHERE s.kind = 'csat' AND s.at > ?2 AND s.at <= ?3 AND s.score IS NOT NULL AND {SEG}"
            ))?
            .query_row(params![seg, start, end], |r| Ok((cnt(r, 0)?, cnt(r, 1)?)))?;
        let (promoters, passives, detractors): (u64, u64, u64) = c.prepare_cached(&format!(
            "SELECT coalesce(sum(s.score >= 9), 0), coalesce(sum(s.score BETWEEN 7 AND 8), 0), coalesce(sum(s.score <= 6), 0) \
             FROM signals s JOIN accounts a ON a.id = s.account_id \
             WHERE s.kind = 'nps' AND s.at > ?2 AND s.at <= ?3 AND s.score IS NOT NULL AND {SEG}"
        ))?
        .query_row(params![seg, start, end], |r| Ok((cnt(r, 0)?, cnt(r, 1)?, cnt(r, 2)?)))?;
        let (start_day, end_day) = (day_of(start), day_of(end));
        let churned: u64 = c.prepare_cached(&format!(
            "SELECT count(*) FROM accounts a WHERE a.status = 'churned' AND a.churned_on > ?2 AND a.churned_on <= ?3 AND {SEG}"
        ))?
        .query_row(params![seg, start_day, end_day], |r| cnt(r, 0))?;
        let active_at_start: u64 = c
            .prepare_cached(&format!(
                "SELECT count(*) FROM accounts a WHERE a.signup_date <= ?2 \
             AND (a.status = 'active' OR a.churned_on > ?2) AND {SEG}"
            ))?
            .query_row(params![seg, start_day], |r| cnt(r, 0))?;
        let tickets: u64 = c
            .prepare_cached(&format!(
                "SELECT count(*) FROM tickets t JOIN accounts a ON a.id = t.account_id \
             WHERE t.opened_at > ?2 AND t.opened_at <= ?3 AND {SEG}"
            ))?
            .query_row(params![seg, start, end], |r| cnt(r, 0))?;
        // a login without a known contact counts once for its account
        let active_users: u64 = c.prepare_cached(&format!(
            "SELECT count(DISTINCT coalesce(s.contact_id, -s.account_id)) FROM signals s JOIN accounts a ON a.id = s.account_id \
             WHERE s.kind = 'login' AND s.at > ?2 AND s.at <= ?3 AND {SEG}"
        ))?
        .query_row(params![seg, start, end], |r| cnt(r, 0))?;
        Ok(PeriodFacts {
            days,
            responded,
            response_secs,
            resolved,
            resolution_secs,
            csat_ratings,
            csat_satisfied,
            promoters,
            passives,
            detractors,
            churned,
            active_at_start,
            tickets,
            active_users,
        })
    }

    /// The value KPIs' facts for the period (start, end].
    pub fn value_facts(&self, segment: Option<Segment>, start: Timestamp, end: Timestamp) -> Result<ValueFacts> {
        let c = &self.conn;
        let seg = segment.map(|s| s.as_str());
        let (start_day, end_day) = (day_of(start), day_of(end));
        // signup to the first core-feature use, for the period's signups
        let firsts: Vec<Option<i64>> = c
            .prepare_cached(&format!(
                "SELECT (SELECT min(s.at) FROM signals s WHERE s.account_id = a.id AND s.kind = 'feature' AND s.core = 1) \
                   - unixepoch(a.signup_date) \
                 FROM accounts a WHERE a.signup_date > ?2 AND a.signup_date <= ?3 AND {SEG}"
            ))?
            .query_map(params![seg, start_day, end_day], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let ttv_days: Vec<f64> = firsts
            .iter()
            .flatten()
            .map(|s| (*s).max(0) as f64 / DAY as f64)
            .collect();
        let first_session = firsts.iter().flatten().filter(|s| **s < DAY).count() as u64;
        let (mrr_cents, active_accounts): (i64, u64) = c
            .prepare_cached(&format!(
                "SELECT coalesce(sum(a.mrr_cents), 0), count(*) FROM accounts a WHERE a.status = 'active' AND {SEG}"
            ))?
            .query_row(params![seg], |r| Ok((r.get(0)?, cnt(r, 1)?)))?;
        let expansion_cents: i64 = c
            .prepare_cached(&format!(
                "SELECT coalesce(sum(r.mrr_after - r.mrr_before), 0) FROM revenue_events r JOIN accounts a ON a.id = r.account_id \
                 WHERE r.kind = 'expansion' AND r.at > ?2 AND r.at <= ?3 AND {SEG}"
            ))?
            .query_row(params![seg, start, end], |r| r.get(0))?;
        // accounts whose onboarding window closed in the period, and whether first value came in it
        let (onboarding_cohort, onboarding_completed): (u64, u64) = c
            .prepare_cached(&format!(
                "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM signals s WHERE s.account_id = a.id \
                   AND s.kind = 'feature' AND s.core = 1 AND s.at < unixepoch(a.signup_date) + ?4 * 86400)), 0) \
                 FROM accounts a WHERE a.signup_date > ?2 AND a.signup_date <= ?3 AND {SEG}"
            ))?
            .query_row(
                params![
                    seg,
                    day_of(start - ONBOARDING_DAYS * DAY),
                    day_of(end - ONBOARDING_DAYS * DAY),
                    ONBOARDING_DAYS
                ],
                |r| Ok((cnt(r, 0)?, cnt(r, 1)?)),
            )?;
        let churn_reasons: Vec<(String, u64)> = c
            .prepare_cached(&format!(
                "SELECT coalesce(nullif(trim(a.churn_reason), ''), '(no reason recorded)') AS why, count(*) AS n \
                 FROM accounts a WHERE a.status = 'churned' AND a.churned_on > ?2 AND a.churned_on <= ?3 AND {SEG} \
                 GROUP BY why ORDER BY n DESC, why"
            ))?
            .query_map(params![seg, start_day, end_day], |r| Ok((r.get(0)?, cnt(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ValueFacts {
            signups: firsts.len() as u64,
            ttv_days,
            first_session,
            mrr_cents,
            active_accounts,
            expansion_cents,
            onboarding_cohort,
            onboarding_completed,
            churn_reasons,
        })
    }

    /// Everything the Metrics view shows for the `days` up to `now`, beside the `days` before.
    pub fn dashboard(
        &self,
        rules: &HealthRules,
        segment: Option<Segment>,
        days: i64,
        now: Timestamp,
    ) -> Result<Dashboard> {
        let c = &self.conn;
        let seg = segment.map(|s| s.as_str());
        let start = now - days * DAY;
        let prev_start = start - days * DAY;
        let current = self.period_facts(segment, start, now)?;
        let previous = self.period_facts(segment, prev_start, start)?;
        let kpis = metrics::kpi_rows(&current, &previous);

        let mut by_tier: HashMap<Tier, u64> = HashMap::new();
        let scores: Vec<(u32, u64)> = c
            .prepare_cached(&format!(
                "SELECT a.health_score, count(*) FROM accounts a WHERE a.status = 'active' AND a.health_score IS NOT NULL \
                 AND {SEG} GROUP BY a.health_score"
            ))?
            .query_map(params![seg], |r| Ok((r.get(0)?, cnt(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (score, n) in scores {
            *by_tier.entry(rules.tier(score)).or_default() += n;
        }
        let tiers = Tier::ALL
            .iter()
            .map(|t| (*t, by_tier.get(t).copied().unwrap_or(0)))
            .collect();

        let trend = c
            .prepare_cached(&format!(
                "SELECT h.day, avg(h.score) FROM health_snapshots h JOIN accounts a ON a.id = h.account_id \
                 WHERE h.day > ?2 AND h.day <= ?3 AND {SEG} GROUP BY h.day ORDER BY h.day"
            ))?
            .query_map(params![seg, day_of(start), day_of(now)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;

        const WEEKS: i64 = 12;
        let week_start = now - WEEKS * 7 * DAY;
        let mut weekly = vec![0u64; WEEKS as usize];
        let counts: Vec<(i64, u64)> = c
            .prepare_cached(&format!(
                "SELECT (t.opened_at - ?2 - 1) / (7 * 86400), count(*) FROM tickets t JOIN accounts a ON a.id = t.account_id \
                 WHERE t.opened_at > ?2 AND t.opened_at <= ?3 AND {SEG} GROUP BY 1"
            ))?
            .query_map(params![seg, week_start, now], |r| Ok((r.get(0)?, cnt(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (w, n) in counts {
            if let Some(slot) = usize::try_from(w).ok().and_then(|w| weekly.get_mut(w)) {
                *slot += n;
            }
        }
        let weekly_tickets = weekly
            .into_iter()
            .enumerate()
            .map(|(i, n)| (day_of(week_start + i as i64 * 7 * DAY + DAY), n))
            .collect();
        let tickets_per_week = current.tickets as f64 * 7.0 / days as f64;
        let staffing = metrics::Staffing::for_weekly_tickets(tickets_per_week.round() as u64);

        let months = last_months(now, 6);
        let first_month = months.first().cloned().unwrap_or_default();
        let churned: HashMap<String, u64> = c
            .prepare_cached(&format!(
                "SELECT substr(a.churned_on, 1, 7), count(*) FROM accounts a \
                 WHERE a.status = 'churned' AND a.churned_on >= ?2 || '-01' AND {SEG} GROUP BY 1"
            ))?
            .query_map(params![seg, first_month], |r| Ok((r.get(0)?, cnt(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let churn_by_month = months
            .into_iter()
            .map(|m| {
                let n = churned.get(&m).copied().unwrap_or(0);
                (m, n)
            })
            .collect();

        let mut tags: HashMap<String, u64> = HashMap::new();
        let mut stmt = c.prepare_cached(&format!(
            "SELECT t.tags FROM tickets t JOIN accounts a ON a.id = t.account_id \
             WHERE t.opened_at > ?2 AND t.opened_at <= ?3 AND t.tags != '' AND {SEG}"
        ))?;
        let mut rows = stmt.query(params![seg, start, now])?;
        while let Some(r) = rows.next()? {
            let list: String = r.get(0)?;
            for tag in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                *tags.entry(tag.to_string()).or_default() += 1;
            }
        }
        let mut top_tags: Vec<(String, u64)> = tags.into_iter().collect();
        top_tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

        let mut value_trend = Vec::new();
        for back in (0..TREND_PERIODS).rev() {
            let (s, e) = (now - (back + 1) * days * DAY, now - back * days * DAY);
            let churn = self
                .period_facts(segment, s, e)?
                .value(metrics::Kpi::MonthlyChurnPercent);
            value_trend.push((self.value_facts(segment, s, e)?, churn));
        }
        Ok(Dashboard {
            value_trend,
            days,
            segment,
            from: crate::domain::format_time(start),
            to: crate::domain::format_time(now),
            current,
            previous,
            kpis,
            value: self.value_facts(segment, start, now)?,
            value_previous: self.value_facts(segment, prev_start, start)?,
            tiers,
            trend,
            weekly_tickets,
            tickets_per_week,
            staffing,
            churn_by_month,
            top_tags,
        })
    }
}

/// One ticket tag in a period: how often, and the subject it most often came with.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagDetail {
    pub tag: String,
    pub count: u64,
    pub example: String,
}

/// A change in an account's monthly revenue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RevenueEvent {
    pub at: Timestamp,
    pub kind: String,
    pub mrr_before: i64,
    pub mrr_after: i64,
}

impl Store {
    /// Ticket tags opened in (start, end], most frequent first, with a typical subject each.
    pub fn tag_details(&self, segment: Option<Segment>, start: Timestamp, end: Timestamp) -> Result<Vec<TagDetail>> {
        let seg = segment.map(|s| s.as_str());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT t.tags, t.subject FROM tickets t JOIN accounts a ON a.id = t.account_id \
             WHERE t.opened_at > ?2 AND t.opened_at <= ?3 AND t.tags != '' AND {SEG}"
        ))?;
        let mut rows = stmt.query(params![seg, start, end])?;
        let mut by_tag: HashMap<String, (u64, HashMap<String, u64>)> = HashMap::new();
        while let Some(r) = rows.next()? {
            let (tags, subject): (String, String) = (r.get(0)?, r.get(1)?);
            for tag in tags.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let e = by_tag.entry(tag.to_string()).or_default();
                e.0 += 1;
                *e.1.entry(subject.clone()).or_default() += 1;
            }
        }
        let mut out: Vec<TagDetail> = by_tag
            .into_iter()
            .map(|(tag, (count, subjects))| {
                let example = subjects
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(s, _)| s)
                    .unwrap_or_default();
                TagDetail { tag, count, example }
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
        Ok(out)
    }

    /// An account's survey answers of one kind (nps or csat) in (since, until], oldest first.
    pub fn account_scores(
        &self,
        account: i64,
        kind: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Timestamp, i64)>> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT at, score FROM signals WHERE account_id = ?1 AND kind = ?2 AND at > ?3 AND at <= ?4 \
                 AND score IS NOT NULL ORDER BY at",
            )?
            .query_map(params![account, kind, since, until], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// An account's revenue changes, oldest first.
    pub fn revenue_events(&self, account: i64) -> Result<Vec<RevenueEvent>> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT at, kind, mrr_before, mrr_after FROM revenue_events WHERE account_id = ?1 ORDER BY at, id",
            )?
            .query_map(params![account], |r| {
                Ok(RevenueEvent {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    mrr_before: r.get(2)?,
                    mrr_after: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

/// The `n` calendar months up to and including `now`'s, as "YYYY-MM", oldest first.
fn last_months(now: Timestamp, n: u32) -> Vec<String> {
    let day = day_of(now);
    let (y, m) = (
        day.get(0..4).and_then(|y| y.parse::<i32>().ok()).unwrap_or(1970),
        day.get(5..7).and_then(|m| m.parse::<i32>().ok()).unwrap_or(1),
    );
    let index = y * 12 + (m - 1);
    (0..n as i32)
        .rev()
        .map(|back| {
            let i = index - back;
            format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_cross_the_year() {
        // 2026-02-10
        assert_eq!(
            last_months(1_770_681_600, 4),
            vec!["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }
}
