//! Accounts and their contacts.

use super::{Result, Store, StoreError, word};
use crate::domain::health::{Components, HealthRules};
use crate::domain::{AccountStatus, Segment, Stage, Tier, Timestamp};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Account {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub segment: Segment,
    pub plan: String,
    pub mrr_cents: i64,
    pub stage: Stage,
    pub owner: Option<String>,
    pub signup_date: String,
    pub renewal_date: Option<String>,
    pub status: AccountStatus,
    pub churned_on: Option<String>,
    pub churn_reason: Option<String>,
    /// The latest computed health score, None until `health recompute` has run.
    pub score: Option<u32>,
    pub components: Option<Components>,
    pub last_login_at: Option<Timestamp>,
    pub open_tickets: i64,
    pub version: i64,
}

pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.external_id, a.name, a.segment, a.plan, a.mrr_cents, a.stage, a.owner, \
    a.signup_date, a.renewal_date, a.status, a.churned_on, a.churn_reason, a.health_score, a.health_usage, \
    a.health_engagement, a.health_satisfaction, a.health_payment, a.last_login_at, \
    a.open_tickets, a.version";

pub(crate) fn account_from_row(r: &Row) -> rusqlite::Result<Account> {
    let score: Option<u32> = r.get(13)?;
    let components = match (
        score,
        r.get::<_, Option<u32>>(14)?,
        r.get::<_, Option<u32>>(15)?,
        r.get::<_, Option<u32>>(16)?,
        r.get::<_, Option<u32>>(17)?,
    ) {
        (Some(_), Some(usage), Some(engagement), Some(satisfaction), Some(payment)) => Some(Components {
            usage,
            engagement,
            satisfaction,
            payment,
        }),
        _ => None,
    };
    Ok(Account {
        id: r.get(0)?,
        external_id: r.get(1)?,
        name: r.get(2)?,
        segment: word(r.get(3)?)?,
        plan: r.get(4)?,
        mrr_cents: r.get(5)?,
        stage: word(r.get(6)?)?,
        owner: r.get(7)?,
        signup_date: r.get(8)?,
        renewal_date: r.get(9)?,
        status: word(r.get(10)?)?,
        churned_on: r.get(11)?,
        churn_reason: r.get(12)?,
        score,
        components,
        last_login_at: r.get(18)?,
        open_tickets: r.get(19)?,
        version: r.get(20)?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountSort {
    /// Worst health first; accounts never scored last.
    #[default]
    Health,
    /// Highest MRR first.
    Mrr,
    Name,
    /// Soonest renewal first; no renewal date last.
    Renewal,
}

impl std::str::FromStr for AccountSort {
    type Err = crate::domain::UnknownWord;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "health" => Ok(AccountSort::Health),
            "mrr" => Ok(AccountSort::Mrr),
            "name" => Ok(AccountSort::Name),
            "renewal" => Ok(AccountSort::Renewal),
            _ => Err(crate::domain::UnknownWord {
                what: "sort",
                given: s.to_string(),
                valid: "health, mrr, name, renewal".into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub tier: Option<Tier>,
    pub stage: Option<Stage>,
    pub segment: Option<Segment>,
    pub status: Option<AccountStatus>,
    pub sort: AccountSort,
    pub limit: Option<usize>,
    pub offset: usize,
}

/// A new account, as the demo or an import gives it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub external_id: Option<String>,
    pub name: String,
    pub segment: Segment,
    pub plan: String,
    pub mrr_cents: i64,
    pub stage: Stage,
    pub owner: Option<String>,
    pub signup_date: String,
    pub renewal_date: Option<String>,
    pub status: AccountStatus,
    pub churned_on: Option<String>,
    pub churn_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub role: Option<String>,
}

impl Store {
    pub fn accounts(&self, filter: &AccountFilter, rules: &HealthRules) -> Result<Vec<Account>> {
        let mut sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(tier) = filter.tier {
            let (lo, hi) = rules.score_range(tier);
            sql.push_str(" AND a.health_score BETWEEN ? AND ?");
            args.push(i64::from(lo).into());
            args.push(i64::from(hi).into());
        }
        if let Some(stage) = filter.stage {
            sql.push_str(" AND a.stage = ?");
            args.push(stage.as_str().to_string().into());
        }
        if let Some(segment) = filter.segment {
            sql.push_str(" AND a.segment = ?");
            args.push(segment.as_str().to_string().into());
        }
        if let Some(status) = filter.status {
            sql.push_str(" AND a.status = ?");
            args.push(status.as_str().to_string().into());
        }
        sql.push_str(match filter.sort {
            AccountSort::Health => " ORDER BY a.health_score IS NULL, a.health_score, a.id",
            AccountSort::Mrr => " ORDER BY a.mrr_cents DESC, a.id",
            AccountSort::Name => " ORDER BY a.name COLLATE NOCASE, a.id",
            AccountSort::Renewal => " ORDER BY a.renewal_date IS NULL, a.renewal_date, a.id",
        });
        sql.push_str(" LIMIT ? OFFSET ?");
        args.push(filter.limit.map(|l| l as i64).unwrap_or(-1).into());
        args.push((filter.offset as i64).into());
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), account_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn account(&self, id: i64) -> Result<Account> {
        self.conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"),
                [id],
                account_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "account",
                id: id.to_string(),
            })
    }

    pub fn contacts(&self, account_id: i64) -> Result<Vec<Contact>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, account_id, name, email, role FROM contacts WHERE account_id = ?1 ORDER BY id")?;
        let rows = stmt
            .query_map([account_id], |r| {
                Ok(Contact {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    name: r.get(2)?,
                    email: r.get(3)?,
                    role: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn insert_account(&self, a: &NewAccount, now: Timestamp) -> Result<i64> {
        let tx = self.write_tx()?;
        let id = insert_account_row(&tx, a, now)?;
        Store::audit(&tx, &self.actor, now, "account", id, "create", &a.name)?;
        tx.commit()?;
        Ok(id)
    }

    pub fn insert_contact(
        &self,
        account_id: i64,
        name: &str,
        email: Option<&str>,
        role: Option<&str>,
        now: Timestamp,
    ) -> Result<i64> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO contacts (account_id, name, email, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account_id, name, email, role, now],
        )?;
        let id = tx.last_insert_rowid();
        Store::audit(&tx, &self.actor, now, "contact", id, "create", name)?;
        tx.commit()?;
        Ok(id)
    }
}

pub(crate) fn insert_account_row(conn: &rusqlite::Connection, a: &NewAccount, now: Timestamp) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO accounts (external_id, name, segment, plan, mrr_cents, stage, owner, signup_date, renewal_date, \
         status, churned_on, churn_reason, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )?
    .execute(params![
        a.external_id,
        a.name,
        a.segment.as_str(),
        a.plan,
        a.mrr_cents,
        a.stage.as_str(),
        a.owner,
        a.signup_date,
        a.renewal_date,
        a.status.as_str(),
        a.churned_on,
        a.churn_reason,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}
