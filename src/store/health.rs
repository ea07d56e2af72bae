//! Health facts read from signals and tickets, the recompute, and the daily snapshots.

use super::health_scan::{self, Scope, Spans};
use super::{BulkSettings, Result, Store, StoreError};
use crate::domain::churn::ChurnFacts;
use crate::domain::health::{FeatureFacts, Health, HealthFacts, HealthRules, LoginFacts, SatisfactionFacts};
use crate::domain::{DAY, PaymentStatus, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Snapshot {
    pub day: String,
    pub score: u32,
    pub usage: u32,
    pub engagement: u32,
    pub satisfaction: u32,
    pub payment: u32,
}

impl Snapshot {
    /// The snapshot as the trend rules read it.
    pub fn point(&self) -> crate::domain::trend::Point<'_> {
        crate::domain::trend::Point {
            day: &self.day,
            score: self.score,
            usage: self.usage,
            engagement: self.engagement,
            payment: self.payment,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecomputeSummary {
    pub accounts: usize,
    pub day: String,
    pub tier_changes: usize,
}

/// A signal row as the account detail shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SignalRow {
    pub at: Timestamp,
    pub kind: String,
    pub feature: Option<String>,
    pub core: Option<bool>,
    pub score: Option<i64>,
    pub payment: Option<String>,
}

/// The SQL test for "an open ticket past a running SLA clock", in step with `domain::sla::next_due`.
pub(crate) const BREACHED_SQL: &str = "(t.closed_at IS NULL AND t.next_due IS NOT NULL AND t.next_due < ?)";

fn latest_score(conn: &Connection, account: i64, kind: &str, since: Timestamp, now: Timestamp) -> Result<Option<u32>> {
    Ok(conn
        .prepare_cached(
            "SELECT score FROM signals WHERE account_id = ?1 AND kind = ?2 AND at > ?3 AND at <= ?4 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )?
        .query_row(params![account, kind, since, now], |r| r.get::<_, Option<u32>>(0))
        .optional()?
        .flatten())
}

fn latest_payment(conn: &Connection, account: i64, now: Timestamp) -> Result<PaymentStatus> {
    let status: Option<String> = conn
        .prepare_cached(
            "SELECT payment FROM signals WHERE account_id = ?1 AND kind = 'payment' AND at <= ?2 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )?
        .query_row(params![account, now], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(status.and_then(|s| s.parse().ok()).unwrap_or(PaymentStatus::Current))
}

pub(crate) fn health_facts(conn: &Connection, account: i64, now: Timestamp) -> Result<HealthFacts> {
    // A login "within 30 days" is one whose whole-day age is 30 or less: at > now - 31 days.
    let last_login: Option<Timestamp> = conn
        .prepare_cached("SELECT max(at) FROM signals WHERE account_id = ?1 AND kind = 'login' AND at <= ?2")?
        .query_row(params![account, now], |r| r.get(0))?;
    let (logins_30d, w0, w1, w2, w3): (u32, u32, u32, u32, u32) = conn
        .prepare_cached(
            "SELECT count(*), \
             coalesce(max(?2 - at < 7 * 86400), 0), \
             coalesce(max(?2 - at >= 7 * 86400 AND ?2 - at < 14 * 86400), 0), \
             coalesce(max(?2 - at >= 14 * 86400 AND ?2 - at < 21 * 86400), 0), \
             coalesce(max(?2 - at >= 21 * 86400), 0) \
             FROM signals WHERE account_id = ?1 AND kind = 'login' AND at > ?2 - 31 * 86400 AND at <= ?2",
        )?
        .query_row(params![account, now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let logins = LoginFacts {
        days_since_last: last_login.map(|at| (now - at).div_euclid(DAY)),
        active_weeks: w0 + w1 + w2 + w3,
        logins_30d,
    };
    let (core_features, other_features): (u32, u32) = conn
        .prepare_cached(
            "SELECT count(DISTINCT CASE WHEN core = 1 THEN feature END), \
             count(DISTINCT CASE WHEN coalesce(core, 0) = 0 THEN feature END) \
             FROM signals WHERE account_id = ?1 AND kind = 'feature' AND at > ?2 - 31 * 86400 AND at <= ?2",
        )?
        .query_row(params![account, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let since_90 = now - 90 * DAY;
    let (tickets_30d, open_tickets, breached_open): (u32, u32, u32) = conn
        .prepare_cached(&format!(
            "SELECT coalesce(sum(t.opened_at > ?2 - 31 * 86400 AND t.opened_at <= ?2), 0), \
             coalesce(sum(t.closed_at IS NULL), 0), coalesce(sum({}), 0) \
             FROM tickets t WHERE t.account_id = ?1 AND (t.closed_at IS NULL OR t.opened_at > ?2 - 31 * 86400)",
            BREACHED_SQL.replace('?', "?2")
        ))?
        .query_row(params![account, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(HealthFacts {
        logins,
        features: FeatureFacts {
            core_features,
            other_features,
        },
        satisfaction: SatisfactionFacts {
            nps: latest_score(conn, account, "nps", since_90, now)?,
            csat: latest_score(conn, account, "csat", since_90, now)?,
            tickets_30d,
            open_tickets,
            breached_open,
        },
        payment: latest_payment(conn, account, now)?,
    })
}

/// Score the scoped active accounts at `now`, store each score on its account and as the day's
/// snapshot; returns how many accounts were scored and how many changed tier.
fn rescore_scope(conn: &Connection, rules: &HealthRules, scope: Scope, now: Timestamp) -> Result<(usize, usize)> {
    let day = day_of(now);
    let mut tier_changes = 0;
    let mut writes = HealthWrites::prepare(conn)?;
    let scored = health_scan::scan(conn, scope, Spans::health(now, now), |a| {
        let h = rules.evaluate(&a.health(now)?);
        if a.account.score.is_some_and(|p| rules.tier(p) != h.tier) {
            tier_changes += 1;
        }
        writes.current(a.account.id, &h, now, a.last_login(now))?;
        writes.snapshot(a.account.id, &h, &day)
    })?;
    Ok((scored, tier_changes))
}

/// Rescore these accounts (the active ones among them) inside the caller's transaction: how many.
pub(crate) fn rescore_listed(
    conn: &Connection,
    rules: &HealthRules,
    accounts: impl IntoIterator<Item = i64>,
    now: Timestamp,
) -> Result<usize> {
    health_scan::fill_scope(conn, accounts)?;
    Ok(rescore_scope(conn, rules, Scope::Listed, now)?.0)
}

/// The accounts of the signals added after a mark (?1), repeated. Plain, so that SQLite reads
/// only the newest rows by id: with DISTINCT it would walk an index of every signal instead.
pub(crate) const SIGNALS_AFTER_MARK: &str = "SELECT account_id FROM signals WHERE id > ?1";

/// The newest signal id, to be remembered as seen by a recompute.
fn newest_signal(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM signals", [], |r| r.get(0))?)
}

fn set_health_mark(conn: &Connection, signal_id: i64) -> Result<()> {
    conn.execute("UPDATE health_mark SET signal_id = ?1 WHERE id = 1", [signal_id])?;
    Ok(())
}

/// The UTC calendar day of a timestamp, as stored in snapshots.
pub fn day_of(now: Timestamp) -> String {
    chrono::DateTime::from_timestamp(now, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "1970-01-01".into())
}

impl Store {
    pub fn health_facts(&self, account: i64, now: Timestamp) -> Result<HealthFacts> {
        self.account(account)?;
        health_facts(&self.conn, account, now)
    }

    pub fn churn_facts(&self, account: i64, now: Timestamp) -> Result<ChurnFacts> {
        let c = &self.conn;
        let (last, prior): (u32, u32) = c.query_row(
            "SELECT coalesce(sum(at > ?2 - 30 * 86400), 0), coalesce(sum(at <= ?2 - 30 * 86400), 0) \
             FROM signals WHERE account_id = ?1 AND kind = 'login' AND at > ?2 - 60 * 86400 AND at <= ?2",
            params![account, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (t7, t28, requests): (u32, u32, u32) = c.query_row(
            "SELECT coalesce(sum(opened_at > ?2 - 7 * 86400), 0), \
             coalesce(sum(opened_at <= ?2 - 7 * 86400 AND opened_at > ?2 - 35 * 86400), 0), \
             coalesce(sum(opened_at > ?2 - 90 * 86400 AND (',' || tags || ',') LIKE '%,feature-request,%'), 0) \
             FROM tickets WHERE account_id = ?1 AND opened_at > ?2 - 90 * 86400 AND opened_at <= ?2",
            params![account, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let worst = |kind: &str| -> Result<Option<u32>> {
            Ok(c.query_row(
                "SELECT min(score) FROM signals WHERE account_id = ?1 AND kind = ?2 AND at > ?3 - 30 * 86400 AND at <= ?3",
                params![account, kind, now],
                |r| r.get(0),
            )?)
        };
        Ok(ChurnFacts {
            logins_last_30d: last,
            logins_prior_30d: prior,
            tickets_last_7d: t7,
            tickets_prior_28d: t28,
            worst_nps_30d: worst("nps")?,
            worst_csat_30d: worst("csat")?,
            payment: latest_payment(c, account, now)?,
            feature_requests_90d: requests,
        })
    }

    /// Recompute every active account's health from its signals, store it on the account and
    /// as today's snapshot (replacing one already taken today), in one transaction.
    pub fn recompute_health(&self, rules: &HealthRules, now: Timestamp) -> Result<RecomputeSummary> {
        let summary = self.recompute(rules, now, false)?;
        summary.ok_or_else(|| StoreError::Rule("the recompute did not run".into()))
    }

    /// The first recompute of a day: as `recompute_health`, unless someone has already taken
    /// today's snapshots (or there are none to follow yet), which is decided under the write
    /// lock, so that several cockpits opening at once recompute the day once. None: not run.
    pub fn recompute_health_for_new_day(
        &self,
        rules: &HealthRules,
        now: Timestamp,
    ) -> Result<Option<RecomputeSummary>> {
        self.recompute(rules, now, true)
    }

    fn recompute(&self, rules: &HealthRules, now: Timestamp, new_day_only: bool) -> Result<Option<RecomputeSummary>> {
        let day = day_of(now);
        let _bulk = BulkSettings::new(&self.conn)?;
        let tx = self.write_tx()?;
        if new_day_only {
            let latest: Option<String> = tx.query_row("SELECT max(day) FROM health_snapshots", [], |r| r.get(0))?;
            if latest.is_none_or(|d| d >= day) {
                return Ok(None);
            }
        }
        let newest = newest_signal(&tx)?;
        let (accounts, tier_changes) = rescore_scope(&tx, rules, Scope::Active, now)?;
        set_health_mark(&tx, newest)?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "health",
            0,
            "recompute",
            &format!("{accounts} accounts, day {day}"),
        )?;
        tx.commit()?;
        Ok(Some(RecomputeSummary {
            accounts,
            day,
            tier_changes,
        }))
    }

    /// Recompute, as `recompute_health` does, only the active accounts with signals added since
    /// the last recompute (full or changed). Returns the summary and the accounts rescored.
    pub fn recompute_changed_health(
        &self,
        rules: &HealthRules,
        now: Timestamp,
    ) -> Result<(RecomputeSummary, Vec<i64>)> {
        let day = day_of(now);
        let _bulk = BulkSettings::new(&self.conn)?;
        let tx = self.write_tx()?;
        let mark: i64 = tx.query_row("SELECT signal_id FROM health_mark WHERE id = 1", [], |r| r.get(0))?;
        let newest = newest_signal(&tx)?;
        let mut changed: Vec<i64> = tx
            .prepare(SIGNALS_AFTER_MARK)?
            .query_map([mark], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        changed.sort_unstable();
        changed.dedup();
        health_scan::fill_scope(&tx, changed.iter().copied())?;
        let (accounts, tier_changes) = rescore_scope(&tx, rules, Scope::Listed, now)?;
        set_health_mark(&tx, newest)?;
        Store::audit(
            &tx,
            &self.actor,
            now,
            "health",
            0,
            "recompute",
            &format!("{accounts} accounts with new signals, day {day}"),
        )?;
        tx.commit()?;
        Ok((
            RecomputeSummary {
                accounts,
                day,
                tier_changes,
            },
            changed,
        ))
    }

    /// Rescore these accounts (the active ones among them) now, as `recompute_health` does for all:
    /// after an import changed their inputs.
    pub fn rescore(&self, rules: &HealthRules, accounts: &[i64], now: Timestamp) -> Result<usize> {
        let _bulk = BulkSettings::new(&self.conn)?;
        let tx = self.write_tx()?;
        let scored = rescore_listed(&tx, rules, accounts.iter().copied(), now)?;
        tx.commit()?;
        Ok(scored)
    }

    /// Snapshots for each of the `days` days before `now`, computed from the signals as they
    /// stood at the end of that day: the history the sample data needs for trends.
    pub fn backfill_snapshots(&self, rules: &HealthRules, now: Timestamp, days: i64) -> Result<usize> {
        if days < 1 {
            return Ok(0);
        }
        let _bulk = BulkSettings::new(&self.conn)?;
        let tx = self.write_tx()?;
        let past: Vec<(Timestamp, String)> = (1..=days).map(|d| (now - d * DAY, day_of(now - d * DAY))).collect();
        let mut written = 0;
        let mut writes = HealthWrites::prepare(&tx)?;
        health_scan::scan(&tx, Scope::Active, Spans::health(now - days * DAY, now - DAY), |a| {
            for (at, day) in &past {
                let h = rules.evaluate(&a.health(*at)?);
                writes.snapshot(a.account.id, &h, day)?;
                written += 1;
            }
            Ok(())
        })?;
        drop(writes);
        tx.commit()?;
        Ok(written)
    }

    /// The newest day any snapshot was taken, if any.
    pub fn latest_snapshot_day(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT max(day) FROM health_snapshots", [], |r| r.get(0))?)
    }

    pub fn health_history(&self, account: i64) -> Result<Vec<Snapshot>> {
        self.account(account)?;
        let mut stmt = self.conn.prepare(
            "SELECT day, score, usage, engagement, satisfaction, payment FROM health_snapshots WHERE account_id = ?1 ORDER BY day",
        )?;
        let rows = stmt
            .query_map([account], |r| {
                Ok(Snapshot {
                    day: r.get(0)?,
                    score: r.get(1)?,
                    usage: r.get(2)?,
                    engagement: r.get(3)?,
                    satisfaction: r.get(4)?,
                    payment: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The most recent signals of an account, newest first.
    pub fn recent_signals(&self, account: i64, limit: usize) -> Result<Vec<SignalRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, kind, feature, core, score, payment FROM signals WHERE account_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![account, limit as i64], |r| {
                Ok(SignalRow {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    feature: r.get(2)?,
                    core: r.get::<_, Option<i64>>(3)?.map(|c| c != 0),
                    score: r.get(4)?,
                    payment: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// `last_login`: the latest login at or before `now`.
/// The two writes of a rescore, prepared once for all the accounts of a scan (a cached
/// statement is looked up by its text each time, which shows over hundreds of thousands of rows).
struct HealthWrites<'c> {
    current: rusqlite::Statement<'c>,
    snapshot: rusqlite::Statement<'c>,
}

impl<'c> HealthWrites<'c> {
    fn prepare(conn: &'c Connection) -> Result<HealthWrites<'c>> {
        Ok(HealthWrites {
            current: conn.prepare(
                "UPDATE accounts SET health_score = ?2, health_usage = ?3, health_engagement = ?4, health_satisfaction = ?5, \
                 health_payment = ?6, health_at = ?7, last_login_at = ?8 WHERE id = ?1",
            )?,
            snapshot: conn.prepare(
                "INSERT INTO health_snapshots (account_id, day, score, usage, engagement, satisfaction, payment) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, usage = excluded.usage, \
                 engagement = excluded.engagement, satisfaction = excluded.satisfaction, payment = excluded.payment",
            )?,
        })
    }

    /// An account's health now, on the account row.
    fn current(&mut self, id: i64, h: &Health, now: Timestamp, last_login: Option<Timestamp>) -> Result<()> {
        let c = &h.components;
        self.current.execute(params![
            id,
            h.score,
            c.usage,
            c.engagement,
            c.satisfaction,
            c.payment,
            now,
            last_login
        ])?;
        Ok(())
    }

    /// An account's health as the day's snapshot (replacing one already taken that day).
    fn snapshot(&mut self, id: i64, h: &Health, day: &str) -> Result<()> {
        let c = &h.components;
        self.snapshot.execute(params![
            id,
            day,
            h.score,
            c.usage,
            c.engagement,
            c.satisfaction,
            c.payment
        ])?;
        Ok(())
    }
}
