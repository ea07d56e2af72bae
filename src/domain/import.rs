//! Import rules: which column of someone else's file is which of tend's fields, and how a cell of
//! text becomes a stored value. Pure: the file reading is in `crate::import`, the writing in the store.

use super::{AccountStatus, Channel, DAY, PaymentStatus, Priority, Segment, SignalKind, Stage, Step, Timestamp};
use std::fmt;

/// What a file holds, one record per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Accounts,
    Contacts,
    Tickets,
    Signals,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Accounts, Kind::Contacts, Kind::Tickets, Kind::Signals];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::Contacts => "contacts",
            Kind::Tickets => "tickets",
            Kind::Signals => "signals",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }

    /// The fields a row of this kind can carry, with the column names each is recognised by
    /// (normalised: lower-case letters and digits only).
    pub fn fields(self) -> &'static [(Field, &'static [&'static str])] {
        match self {
            Kind::Accounts => ACCOUNT_FIELDS,
            Kind::Contacts => CONTACT_FIELDS,
            Kind::Tickets => TICKET_FIELDS,
            Kind::Signals => SIGNAL_FIELDS,
        }
    }

    /// The field names this kind accepts, for messages.
    pub fn field_names(self) -> String {
        self.fields()
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! fields {
    ($($variant:ident => $word:literal),+ $(,)?) => {
        /// One of tend's fields an imported column can fill.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $($variant),+ }
        impl Field {
            pub fn as_str(self) -> &'static str { match self { $(Field::$variant => $word),+ } }
            const ALL: &'static [Field] = &[$(Field::$variant),+];
        }
    };
}

fields!(
    ExternalId => "external_id",
    Name => "name",
    Segment => "segment",
    Plan => "plan",
    Mrr => "mrr",
    Arr => "arr",
    Stage => "stage",
    Owner => "owner",
    SignupDate => "signup_date",
    TenureMonths => "tenure_months",
    RenewalDate => "renewal_date",
    Status => "status",
    Churned => "churned",
    ChurnedOn => "churned_on",
    ChurnReason => "churn_reason",
    Account => "account",
    Email => "email",
    Role => "role",
    ContactEmail => "contact_email",
    ContactName => "contact_name",
    Subject => "subject",
    Body => "body",
    Channel => "channel",
    Priority => "priority",
    Step => "step",
    Tags => "tags",
    Assignee => "assignee",
    OpenedAt => "opened_at",
    FirstResponseAt => "first_response_at",
    FirstResponseMinutes => "first_response_minutes",
    ResolvedAt => "resolved_at",
    ResolutionHours => "resolution_hours",
    ClosedAt => "closed_at",
    WaitingSince => "waiting_since",
    Csat => "csat",
    SupportTier => "support_tier",
    Event => "event",
    At => "at",
    Feature => "feature",
    Value => "value",
    Core => "core",
    Payment => "payment",
);

impl Field {
    /// A field name as typed in `--map` or `--set`, for this kind.
    pub fn parse(kind: Kind, s: &str) -> Result<Field, String> {
        let norm = normalise(s);
        Field::ALL
            .iter()
            .copied()
            .find(|f| normalise(f.as_str()) == norm && kind.fields().iter().any(|(k, _)| k == f))
            .ok_or_else(|| format!("'{s}' is not a field of {kind}; valid fields: {}", kind.field_names()))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const ACCOUNT_FIELDS: &[(Field, &[&str])] = &[
    (
        Field::ExternalId,
        &[
            "externalid",
            "id",
            "accountid",
            "customerid",
            "companyid",
            "clientid",
            "accountnumber",
            "customernumber",
            "accountexternalid",
        ],
    ),
    (
        Field::Name,
        &[
            "name",
            "accountname",
            "company",
            "companyname",
            "customer",
            "customername",
            "organization",
            "organisation",
            "organizationname",
            "org",
            "business",
            "client",
            "clientname",
        ],
    ),
    (
        Field::Segment,
        &["segment", "customersegment", "accounttype", "size", "companysize"],
    ),
    (
        Field::Plan,
        &[
            "plan",
            "plantier",
            "planname",
            "plantype",
            "tier",
            "subscription",
            "subscriptionplan",
            "package",
            "contract",
            "pricingplan",
            "product",
        ],
    ),
    (
        Field::Mrr,
        &[
            "mrr",
            "mrramount",
            "mrrusd",
            "monthlycharges",
            "monthlycharge",
            "monthlyrevenue",
            "monthlyrecurringrevenue",
            "monthlyfee",
            "monthlyamount",
            "monthlyprice",
        ],
    ),
    (
        Field::Arr,
        &[
            "arr",
            "arramount",
            "arrusd",
            "annualrevenue",
            "annualrecurringrevenue",
            "annualcontractvalue",
            "acv",
        ],
    ),
    (
        Field::Stage,
        &["stage", "lifecyclestage", "lifecycle", "journeystage", "customerstage"],
    ),
    (
        Field::Owner,
        &[
            "owner",
            "accountowner",
            "csm",
            "accountmanager",
            "successmanager",
            "customersuccessmanager",
        ],
    ),
    (
        Field::SignupDate,
        &[
            "signupdate",
            "signup",
            "signedup",
            "signedupat",
            "signedupon",
            "createdat",
            "created",
            "createddate",
            "createdon",
            "startdate",
            "startedat",
            "customersince",
            "since",
            "joined",
            "joinedat",
            "joindate",
            "dateadded",
        ],
    ),
    (
        Field::TenureMonths,
        &[
            "tenure",
            "tenuremonths",
            "monthsactive",
            "monthsascustomer",
            "tenureinmonths",
        ],
    ),
    (
        Field::RenewalDate,
        &[
            "renewaldate",
            "renewal",
            "renewson",
            "renewalon",
            "nextrenewal",
            "contractend",
            "contractenddate",
        ],
    ),
    (Field::Status, &["status", "accountstatus", "state"]),
    (
        Field::Churned,
        &[
            "churned",
            "churn",
            "churnflag",
            "ischurned",
            "haschurned",
            "churnstatus",
        ],
    ),
    (
        Field::ChurnedOn,
        &[
            "churnedon",
            "churndate",
            "churnedat",
            "canceledat",
            "cancelledat",
            "cancellationdate",
            "cancelledon",
            "canceledon",
        ],
    ),
    (
        Field::ChurnReason,
        &["churnreason", "reasoncode", "cancellationreason", "cancelreason"],
    ),
];

const CONTACT_FIELDS: &[(Field, &[&str])] = &[
    (
        Field::ExternalId,
        &["externalid", "id", "contactid", "userid", "personid", "peopleid"],
    ),
    (
        Field::Account,
        &[
            "account",
            "accountid",
            "accountexternalid",
            "customerid",
            "companyid",
            "clientid",
            "company",
            "organization",
            "organisation",
        ],
    ),
    (
        Field::Name,
        &[
            "name",
            "fullname",
            "contactname",
            "contact",
            "person",
            "username",
            "displayname",
        ],
    ),
    (
        Field::Email,
        &[
            "email",
            "emailaddress",
            "mail",
            "contactemail",
            "useremail",
            "workemail",
        ],
    ),
    (Field::Role, &["role", "title", "jobtitle", "position"]),
];

const TICKET_FIELDS: &[(Field, &[&str])] = &[
    (
        Field::ExternalId,
        &[
            "externalid",
            "id",
            "ticketid",
            "ticketnumber",
            "ticket",
            "caseid",
            "casenumber",
            "issueid",
            "number",
        ],
    ),
    (
        Field::Account,
        &[
            "account",
            "accountid",
            "accountexternalid",
            "customerid",
            "companyid",
            "clientid",
        ],
    ),
    (
        Field::ContactEmail,
        &[
            "contactemail",
            "customeremail",
            "email",
            "requesteremail",
            "requester",
            "fromemail",
            "senderemail",
            "from",
        ],
    ),
    (
        Field::ContactName,
        &["contactname", "customername", "requestername", "name", "sendername"],
    ),
    (
        Field::Subject,
        &["subject", "ticketsubject", "title", "summary", "topic"],
    ),
    (
        Field::Body,
        &[
            "body",
            "description",
            "ticketdescription",
            "message",
            "text",
            "content",
            "details",
        ],
    ),
    (Field::Channel, &["channel", "ticketchannel", "source", "via", "medium"]),
    (Field::Priority, &["priority", "ticketpriority", "severity", "urgency"]),
    (Field::Step, &["step", "status", "ticketstatus", "state"]),
    (
        Field::Tags,
        &["tags", "tag", "labels", "type", "tickettype", "category", "issuetype"],
    ),
    (Field::Assignee, &["assignee", "assignedto", "agent", "owner"]),
    (
        Field::OpenedAt,
        &[
            "openedat",
            "createdat",
            "created",
            "createddate",
            "submittedat",
            "submitted",
            "opened",
            "openeddate",
            "reportedat",
            "date",
        ],
    ),
    (
        Field::FirstResponseAt,
        &[
            "firstresponseat",
            "firstresponsetime",
            "firstreplyat",
            "firstrepliedat",
            "respondedat",
        ],
    ),
    (
        Field::FirstResponseMinutes,
        &[
            "firstresponseminutes",
            "firstresponsetimeminutes",
            "firstresponsemins",
            "frtminutes",
        ],
    ),
    (
        Field::ResolvedAt,
        &[
            "resolvedat",
            "timetoresolution",
            "solvedat",
            "resolutiondate",
            "resolvedon",
            "resolved",
        ],
    ),
    (
        Field::ResolutionHours,
        &["resolutionhours", "resolutiontimehours", "timetoresolutionhours"],
    ),
    (Field::ClosedAt, &["closedat", "closed", "closeddate", "closedon"]),
    (Field::WaitingSince, &["waitingsince", "pendingsince"]),
    (
        Field::Csat,
        &[
            "csat",
            "satisfaction",
            "satisfactionscore",
            "customersatisfactionrating",
            "satisfactionrating",
            "rating",
            "csatscore",
        ],
    ),
    (
        Field::SupportTier,
        &[
            "supporttier",
            "escalated",
            "escalationflag",
            "isescalated",
            "escalation",
        ],
    ),
];

const SIGNAL_FIELDS: &[(Field, &[&str])] = &[
    (
        Field::ExternalId,
        &["externalid", "eventid", "id", "signalid", "usageid"],
    ),
    (
        Field::Account,
        &[
            "account",
            "accountid",
            "accountexternalid",
            "customerid",
            "companyid",
            "clientid",
        ],
    ),
    (Field::ContactEmail, &["contactemail", "email", "useremail"]),
    (
        Field::Event,
        &["event", "eventtype", "eventname", "type", "kind", "action", "name"],
    ),
    (
        Field::At,
        &[
            "at",
            "timestamp",
            "time",
            "date",
            "datetime",
            "occurredat",
            "eventtime",
            "eventdate",
            "createdat",
            "usagedate",
            "eventtimestamp",
        ],
    ),
    (Field::Feature, &["feature", "featurename", "featureid"]),
    (Field::Value, &["value", "score", "rating", "npsscore", "csatscore"]),
    (Field::Core, &["core", "corefeature", "iscore", "iscorefeature"]),
    (Field::Payment, &["payment", "paymentstatus"]),
];

/// A column name reduced to lower-case letters and digits: `Customer Email`, `customer_email`
/// and `customerEmail` are all `customeremail`.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which field each column fills (None: ignored), and the fields given one value for every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub kind: Kind,
    pub headers: Vec<String>,
    pub columns: Vec<Option<Field>>,
    pub constants: Vec<(Field, String)>,
}

/// A `--map` override: a column to a field, or to nothing (ignore it).
pub type Override = (String, Option<Field>);

/// Match a file's header row to fields: overrides first, then each column by its normalised name.
/// The first column to claim a field wins; a field given by `--set` is not taken from a column.
pub fn map_headers(
    kind: Kind,
    headers: &[String],
    overrides: &[Override],
    constants: &[(Field, String)],
) -> Result<Mapping, String> {
    let mut columns: Vec<Option<Field>> = vec![None; headers.len()];
    let mut decided = vec![false; headers.len()];
    for (source, field) in overrides {
        let norm = normalise(source);
        let Some(i) = headers
            .iter()
            .position(|h| h.trim() == source.trim())
            .or_else(|| headers.iter().position(|h| normalise(h) == norm))
        else {
            return Err(format!(
                "--map names a column '{source}' the file does not have; its columns are: {}",
                headers.join(", ")
            ));
        };
        if let Some(f) = field
            && let Some(j) = columns.iter().position(|c| *c == Some(*f))
        {
            return Err(format!(
                "--map gives '{f}' twice: to '{}' and to '{}'",
                headers[j], headers[i]
            ));
        }
        columns[i] = *field;
        decided[i] = true;
    }
    for (i, header) in headers.iter().enumerate() {
        if decided[i] {
            continue;
        }
        let norm = normalise(header);
        let found = kind
            .fields()
            .iter()
            .find(|(f, names)| {
                names.contains(&norm.as_str()) && !columns.contains(&Some(*f)) && !constants.iter().any(|(c, _)| c == f)
            })
            .map(|(f, _)| *f);
        columns[i] = found;
    }
    let mapping = Mapping {
        kind,
        headers: headers.to_vec(),
        columns,
        constants: constants.to_vec(),
    };
    mapping.check_required()?;
    Ok(mapping)
}

impl Mapping {
    pub fn has(&self, f: Field) -> bool {
        self.columns.contains(&Some(f)) || self.constants.iter().any(|(c, _)| *c == f)
    }

    /// The column a field is read from, for reports.
    pub fn column_of(&self, f: Field) -> String {
        self.columns
            .iter()
            .position(|c| *c == Some(f))
            .map(|i| self.headers[i].clone())
            .unwrap_or_else(|| format!("--set {f}"))
    }

    fn check_required(&self) -> Result<(), String> {
        let need = |f: Field, what: &str| -> Result<(), String> {
            if self.has(f) {
                Ok(())
            } else {
                Err(format!(
                    "no column of the file is {what} ('{f}'); name it with --map COLUMN={f}. The file's columns are: {}",
                    self.headers.join(", ")
                ))
            }
        };
        match self.kind {
            Kind::Accounts => need(Field::ExternalId, "the account's id in your system"),
            Kind::Contacts => {
                need(Field::Account, "the contact's account id")?;
                if !self.has(Field::Name) && !self.has(Field::Email) {
                    need(Field::Email, "the contact's email or name")?;
                }
                Ok(())
            }
            Kind::Tickets => {
                if !self.has(Field::Account) && !self.has(Field::ContactEmail) {
                    need(Field::Account, "the ticket's account id or the customer's email")?;
                }
                Ok(())
            }
            Kind::Signals => {
                need(Field::Account, "the account id")?;
                need(Field::At, "the event's time")?;
                if !self.has(Field::Event) {
                    return Err(format!(
                        "no column of the file is the event type ('event'); name it with --map COLUMN=event, \
                         or give every row one type with --set event=feature. The file's columns are: {}",
                        self.headers.join(", ")
                    ));
                }
                Ok(())
            }
        }
    }

    /// The cells of one row, by field.
    pub fn row<'a>(&'a self, cells: &'a [String]) -> Row<'a> {
        Row { mapping: self, cells }
    }
}

/// One row of a file, read by field. Empty cells read as absent.
pub struct Row<'a> {
    mapping: &'a Mapping,
    cells: &'a [String],
}

/// Why a row cannot be imported: the field at fault (if one is) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Option<Field>,
    /// The column at fault when it is one no field is read from.
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    fn at(field: Field, reason: impl Into<String>) -> Problem {
        Problem {
            field: Some(field),
            column: None,
            reason: reason.into(),
        }
    }
}

type Parsed<T> = Result<T, Problem>;

/// The longest single cell tend stores; a longer one is refused rather than truncated.
pub const MAX_CELL_BYTES: usize = 1 << 20;

impl Row<'_> {
    pub fn get(&self, f: Field) -> Option<&str> {
        let from_column = self
            .mapping
            .columns
            .iter()
            .position(|c| *c == Some(f))
            .and_then(|i| self.cells.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty());
        from_column.or_else(|| {
            self.mapping
                .constants
                .iter()
                .find(|(c, _)| *c == f)
                .map(|(_, v)| v.trim())
                .filter(|s| !s.is_empty())
        })
    }

    /// Refuse a row with a cell over the size limit, naming the column.
    pub fn check_sizes(&self) -> Parsed<()> {
        for (i, cell) in self.cells.iter().enumerate() {
            if cell.len() > MAX_CELL_BYTES {
                let field = self.mapping.columns.get(i).copied().flatten();
                return Err(Problem {
                    field,
                    column: self.mapping.headers.get(i).cloned(),
                    reason: format!(
                        "the cell in column '{}' is {} bytes; the limit is {} bytes",
                        self.mapping.headers.get(i).map(String::as_str).unwrap_or("?"),
                        cell.len(),
                        MAX_CELL_BYTES
                    ),
                });
            }
        }
        Ok(())
    }

    fn text(&self, f: Field) -> Option<String> {
        self.get(f).map(str::to_string)
    }

    fn parse<T>(&self, f: Field, p: impl FnOnce(&str) -> Result<T, String>) -> Parsed<Option<T>> {
        match self.get(f) {
            None => Ok(None),
            Some(s) => p(s).map(Some).map_err(|e| Problem::at(f, e)),
        }
    }

    fn time(&self, f: Field) -> Parsed<Option<Timestamp>> {
        self.parse(f, parse_timestamp)
    }

    fn date(&self, f: Field) -> Parsed<Option<String>> {
        self.parse(f, parse_date)
    }
}

/// An account as a row gives it. `None`: the file does not say, so an update keeps what is stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountRecord {
    pub external_id: String,
    pub name: Option<String>,
    pub segment: Option<Segment>,
    pub plan: Option<String>,
    pub mrr_cents: Option<i64>,
    pub stage: Option<Stage>,
    pub owner: Option<String>,
    pub signup_date: Option<String>,
    /// A signup day worked out from a tenure in months: used only for a new account, so a second
    /// import on a later day does not move it.
    pub signup_from_tenure: Option<String>,
    pub renewal_date: Option<String>,
    pub status: Option<AccountStatus>,
    pub churned_on: Option<String>,
    pub churn_reason: Option<String>,
}

pub fn account_record(row: &Row, now: Timestamp) -> Parsed<AccountRecord> {
    row.check_sizes()?;
    let external_id = row
        .text(Field::ExternalId)
        .ok_or_else(|| Problem::at(Field::ExternalId, "the account id is empty"))?;
    let mrr = row.parse(Field::Mrr, parse_money)?;
    let arr = row.parse(Field::Arr, parse_money)?;
    let mrr_cents = mrr.or(arr.map(|a| (a as f64 / 12.0).round() as i64));
    let tenure = row.parse(Field::TenureMonths, |s| {
        parse_number(s)
            .filter(|n| (0.0..=1200.0).contains(n))
            .map(|n| n.round() as i64)
            .ok_or_else(|| format!("'{s}' is not a number of months"))
    })?;
    let signup_from_tenure = tenure.map(|months| super::day_string(now - months * 30 * DAY - months * DAY * 44 / 100));
    let status_word = row.parse(Field::Status, parse_account_status)?;
    let churned = row.parse(Field::Churned, parse_bool)?;
    let status = match (status_word, churned) {
        (Some(s), _) => Some(s),
        (None, Some(true)) => Some(AccountStatus::Churned),
        (None, Some(false)) => Some(AccountStatus::Active),
        (None, None) => None,
    };
    let churned_on = row.date(Field::ChurnedOn)?;
    Ok(AccountRecord {
        name: row.text(Field::Name),
        segment: row.parse(Field::Segment, parse_segment)?,
        plan: row.text(Field::Plan),
        mrr_cents,
        stage: row.parse(Field::Stage, |s| s.parse::<Stage>().map_err(|e| e.to_string()))?,
        owner: row.text(Field::Owner),
        signup_date: row.date(Field::SignupDate)?,
        signup_from_tenure,
        renewal_date: row.date(Field::RenewalDate)?,
        status: status.or(churned_on.as_ref().map(|_| AccountStatus::Churned)),
        churned_on,
        churn_reason: row.text(Field::ChurnReason),
        external_id,
    })
}

impl AccountRecord {
    /// The segment of a new account the file gives none for: enterprise when its plan says so,
    /// else SMB.
    pub fn default_segment(&self) -> Segment {
        match &self.plan {
            Some(p) if p.to_ascii_lowercase().contains("enterprise") => Segment::Enterprise,
            _ => Segment::Smb,
        }
    }

    /// The stage of a new account the file gives none for: onboarding in its first 30 days.
    pub fn default_stage(signup_date: &str, now: Timestamp) -> Stage {
        let age = super::parse_day(signup_date)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| (now - d.and_utc().timestamp()) / DAY)
            .unwrap_or(0);
        if age < 30 { Stage::Onboarding } else { Stage::Adoption }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactRecord {
    pub external_id: Option<String>,
    pub account: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
}

pub fn contact_record(row: &Row) -> Parsed<ContactRecord> {
    row.check_sizes()?;
    let account = row
        .text(Field::Account)
        .ok_or_else(|| Problem::at(Field::Account, "the account id is empty"))?;
    let email = row.parse(Field::Email, parse_email)?;
    let name = row.text(Field::Name);
    if email.is_none() && name.is_none() {
        return Err(Problem::at(Field::Email, "the contact has neither an email nor a name"));
    }
    Ok(ContactRecord {
        external_id: row.text(Field::ExternalId),
        account,
        name,
        email,
        role: row.text(Field::Role),
    })
}

/// A ticket as a row gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub external_id: Option<String>,
    pub account: Option<String>,
    pub contact_email: Option<String>,
    pub contact_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub channel: Channel,
    pub priority: Priority,
    pub step: Step,
    pub waiting_since: Option<Timestamp>,
    pub tags: Vec<String>,
    pub assignee: Option<String>,
    pub opened_at: Timestamp,
    /// False when the file gives no time at all and `opened_at` is the import's: an update then
    /// keeps the stored one, so importing the file again changes nothing.
    pub opened_known: bool,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub csat: Option<i64>,
    pub support_tier: i64,
}

/// A ticket status word from another helpdesk: the SOP step it stands for, and whether it means
/// waiting on the customer.
pub fn parse_ticket_status(s: &str) -> Result<(Step, bool), String> {
    if let Ok(step) = s.parse::<Step>() {
        return Ok((step, false));
    }
    let n = normalise(s);
    Ok(match n.as_str() {
        "new" | "open" | "opened" | "todo" | "received" | "unassigned" | "unread" => (Step::Acknowledge, false),
        "acknowledged" | "inprogress" | "working" | "investigating" | "triaged" | "assigned" | "active"
        | "escalated" => (Step::Diagnose, false),
        "pending"
        | "pendingcustomerresponse"
        | "waiting"
        | "waitingoncustomer"
        | "waitingforcustomer"
        | "awaitingcustomer"
        | "awaitingreply"
        | "awaitingresponse"
        | "onhold"
        | "hold" => (Step::Diagnose, true),
        "resolved" | "solved" | "fixed" | "done" | "completed" | "complete" | "cancelled" | "canceled" | "archived" => {
            (Step::Closed, false)
        }
        _ => {
            return Err(format!(
                "'{s}' is not a ticket status tend knows; valid: open, pending, in progress, resolved, closed, \
                 or a step ({})",
                Step::valid_words()
            ));
        }
    })
}

pub fn ticket_record(row: &Row, now: Timestamp) -> Parsed<TicketRecord> {
    row.check_sizes()?;
    let account = row.text(Field::Account);
    let contact_email = row.parse(Field::ContactEmail, parse_email)?;
    if account.is_none() && contact_email.is_none() {
        return Err(Problem::at(
            if row.mapping.has(Field::Account) {
                Field::Account
            } else {
                Field::ContactEmail
            },
            "the ticket names neither an account nor a customer email",
        ));
    }
    let opened = row.time(Field::OpenedAt)?;
    let first_response_at = row.time(Field::FirstResponseAt)?;
    let frt_minutes = row.parse(Field::FirstResponseMinutes, |s| parse_duration(s, 60))?;
    let resolved = row.time(Field::ResolvedAt)?;
    let resolution_hours = row.parse(Field::ResolutionHours, |s| parse_duration(s, 3600))?;
    let closed_at = row.time(Field::ClosedAt)?;
    // A file with no opening time: the earliest moment it gives, else the import.
    let opened_from_file = opened.or_else(|| [first_response_at, resolved, closed_at].into_iter().flatten().min());
    let opened_at = opened_from_file.unwrap_or(now);
    let first_response_at = first_response_at.or(frt_minutes.map(|s| opened_at + s));
    let resolved_at = resolved.or(resolution_hours.map(|s| opened_at + s));
    for (f, t) in [
        (Field::ClosedAt, closed_at),
        (Field::ResolvedAt, resolved_at),
        (Field::FirstResponseAt, first_response_at),
    ] {
        if let Some(t) = t
            && t < opened_at
        {
            return Err(Problem::at(
                f,
                format!(
                    "{} is before the ticket was opened ({})",
                    super::format_time(t),
                    super::format_time(opened_at)
                ),
            ));
        }
    }
    let status = row.parse(Field::Step, parse_ticket_status)?;
    let waiting_given = row.time(Field::WaitingSince)?;
    let (step, waiting) = match status {
        Some(s) => s,
        None if closed_at.is_some() || resolved_at.is_some() => (Step::Closed, false),
        None => (Step::Acknowledge, waiting_given.is_some()),
    };
    let step = if step == Step::Acknowledge && first_response_at.is_some() {
        Step::Diagnose
    } else {
        step
    };
    let (resolved_at, closed_at) = if step == Step::Closed {
        let done = closed_at
            .or(resolved_at)
            .unwrap_or(opened_at.max(first_response_at.unwrap_or(opened_at)));
        (Some(resolved_at.unwrap_or(done)), Some(done))
    } else {
        (resolved_at, None)
    };
    let waiting_since = if step == Step::Closed {
        None
    } else if waiting || waiting_given.is_some() {
        Some(waiting_given.unwrap_or_else(|| first_response_at.unwrap_or(opened_at).max(opened_at)))
    } else {
        None
    };
    let csat = row.parse(Field::Csat, |s| {
        parse_number(s)
            .filter(|n| n.fract() == 0.0 && (1.0..=5.0).contains(n))
            .map(|n| n as i64)
            .ok_or_else(|| format!("'{s}' is not a satisfaction score from 1 to 5"))
    })?;
    let support_tier = row
        .parse(Field::SupportTier, |s| match s.trim() {
            "1" => Ok(1),
            "2" => Ok(2),
            other => parse_bool(other)
                .map(|b| if b { 2 } else { 1 })
                .map_err(|_| format!("'{s}' is neither a support tier (1 or 2) nor yes/no")),
        })?
        .unwrap_or(1);
    let subject = row
        .text(Field::Subject)
        .map(|s| s.lines().next().unwrap_or("").trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "(no subject)".into());
    Ok(TicketRecord {
        external_id: row.text(Field::ExternalId),
        account,
        contact_email,
        contact_name: row.text(Field::ContactName),
        subject,
        body: row.text(Field::Body).unwrap_or_default(),
        channel: row.parse(Field::Channel, parse_channel)?.unwrap_or(Channel::Email),
        priority: row.parse(Field::Priority, parse_priority)?.unwrap_or(Priority::Normal),
        step,
        waiting_since,
        tags: row.get(Field::Tags).map(parse_tags).unwrap_or_default(),
        assignee: row.text(Field::Assignee),
        opened_at,
        opened_known: opened_from_file.is_some(),
        first_response_at,
        resolved_at,
        closed_at,
        csat,
        support_tier,
    })
}

/// What an event type from a product-analytics export means to tend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    Signal(SignalKind, Option<PaymentStatus>),
    /// Known and deliberately not imported (`--event page_view=ignore`).
    Ignore,
}

/// An `--event NAME=KIND` value: login, feature, nps, csat, payment, payment-late, payment-failed
/// or ignore.
pub fn parse_event_class(s: &str) -> Result<EventClass, String> {
    match normalise(s).as_str() {
        "ignore" | "skip" => Ok(EventClass::Ignore),
        "paymentcurrent" => Ok(EventClass::Signal(SignalKind::Payment, Some(PaymentStatus::Current))),
        "paymentlate" => Ok(EventClass::Signal(SignalKind::Payment, Some(PaymentStatus::Late))),
        "paymentfailed" => Ok(EventClass::Signal(SignalKind::Payment, Some(PaymentStatus::Failed))),
        _ => s
            .parse::<SignalKind>()
            .map(|k| EventClass::Signal(k, None))
            .map_err(|_| {
                format!(
                    "'{s}' is not a signal kind; valid: login, feature, nps, csat, payment, payment-late, \
                     payment-failed, ignore"
                )
            }),
    }
}

/// The common names analytics and billing tools give events; None for a type tend does not know.
pub fn classify_event(name: &str, overrides: &[(String, EventClass)]) -> Option<EventClass> {
    let n = normalise(name);
    if let Some((_, c)) = overrides.iter().find(|(o, _)| normalise(o) == n) {
        return Some(*c);
    }
    use SignalKind as K;
    let signal = |k| Some(EventClass::Signal(k, None));
    let pay = |p| Some(EventClass::Signal(K::Payment, Some(p)));
    match n.as_str() {
        "login" | "signin" | "loggedin" | "userloggedin" | "userlogin" | "session" | "sessionstart"
        | "sessionstarted" | "appopen" | "appopened" => signal(K::Login),
        "feature" | "featureused" | "featureuse" | "featureusage" | "usage" | "used" => signal(K::Feature),
        "nps" | "npsresponse" | "npssurvey" | "npsscore" | "npssubmitted" => signal(K::Nps),
        "csat" | "csatresponse" | "csatscore" | "satisfaction" | "satisfactionsurvey" => signal(K::Csat),
        "payment" => signal(K::Payment),
        "paymentsucceeded" | "paymentsuccess" | "paymentcurrent" | "invoicepaid" | "paid" | "chargesucceeded" => {
            pay(PaymentStatus::Current)
        }
        "paymentlate" | "paymentoverdue" | "invoiceoverdue" | "invoicepastdue" | "pastdue" | "overdue" => {
            pay(PaymentStatus::Late)
        }
        "paymentfailed" | "chargefailed" | "invoicepaymentfailed" | "paymentdeclined" | "carddeclined" => {
            pay(PaymentStatus::Failed)
        }
        _ => None,
    }
}

/// A product or billing event as a row gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRecord {
    pub external_id: Option<String>,
    pub account: String,
    pub contact_email: Option<String>,
    pub kind: SignalKind,
    pub at: Timestamp,
    pub feature: Option<String>,
    pub core: Option<bool>,
    pub score: Option<i64>,
    pub payment: Option<PaymentStatus>,
}

/// A signal row: Ok(None) when its event type is one to leave out, Err with the event name in
/// `UnknownEvent` when tend does not know it.
pub enum SignalRow {
    Signal(SignalRecord),
    Ignored,
    Unknown(String),
}

pub fn signal_record(row: &Row, overrides: &[(String, EventClass)]) -> Parsed<SignalRow> {
    row.check_sizes()?;
    let account = row
        .text(Field::Account)
        .ok_or_else(|| Problem::at(Field::Account, "the account id is empty"))?;
    let event = row
        .text(Field::Event)
        .ok_or_else(|| Problem::at(Field::Event, "the event type is empty"))?;
    let (kind, payment_from_name) = match classify_event(&event, overrides) {
        None => return Ok(SignalRow::Unknown(event)),
        Some(EventClass::Ignore) => return Ok(SignalRow::Ignored),
        Some(EventClass::Signal(k, p)) => (k, p),
    };
    let at = row
        .time(Field::At)?
        .ok_or_else(|| Problem::at(Field::At, "the event's time is empty"))?;
    let value = row.parse(Field::Value, |s| {
        parse_number(s).ok_or_else(|| format!("'{s}' is not a number"))
    })?;
    let score = match kind {
        SignalKind::Nps => Some(whole_in(value, 0, 10, "an NPS answer from 0 to 10")?),
        SignalKind::Csat => Some(whole_in(value, 1, 5, "a satisfaction score from 1 to 5")?),
        _ => None,
    };
    let payment = if kind == SignalKind::Payment {
        Some(
            payment_from_name
                .or(row.parse(Field::Payment, |s| {
                    s.parse::<PaymentStatus>().map_err(|e| e.to_string())
                })?)
                .unwrap_or(PaymentStatus::Current),
        )
    } else {
        None
    };
    let feature = row.text(Field::Feature);
    if kind == SignalKind::Feature && feature.is_none() {
        return Err(Problem::at(Field::Feature, "a feature event needs the feature's name"));
    }
    Ok(SignalRow::Signal(SignalRecord {
        external_id: row.text(Field::ExternalId),
        account,
        contact_email: row.parse(Field::ContactEmail, parse_email)?,
        kind,
        at,
        feature: if kind == SignalKind::Feature { feature } else { None },
        core: if kind == SignalKind::Feature {
            row.parse(Field::Core, parse_bool)?
        } else {
            None
        },
        score,
        payment,
    }))
}

fn whole_in(value: Option<f64>, lo: i64, hi: i64, what: &str) -> Parsed<i64> {
    match value {
        Some(v) if v.fract() == 0.0 && v >= lo as f64 && v <= hi as f64 => Ok(v as i64),
        Some(v) => Err(Problem::at(Field::Value, format!("'{v}' is not {what}"))),
        None => Err(Problem::at(
            Field::Value,
            format!("the value is empty; it should be {what}"),
        )),
    }
}

// ---- previews: a record as the dry run shows it ----

type Preview = Vec<(String, String)>;

fn put(v: &mut Preview, f: Field, value: Option<String>) {
    if let Some(value) = value {
        v.push((f.as_str().to_string(), value));
    }
}

fn time_text(t: Option<Timestamp>) -> Option<String> {
    t.map(super::format_time)
}

fn money_text(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

impl AccountRecord {
    pub fn preview(&self) -> Preview {
        let mut v = Vec::new();
        put(&mut v, Field::ExternalId, Some(self.external_id.clone()));
        put(
            &mut v,
            Field::Name,
            Some(self.name.clone().unwrap_or_else(|| self.external_id.clone())),
        );
        put(
            &mut v,
            Field::Segment,
            Some(self.segment.unwrap_or_else(|| self.default_segment()).to_string()),
        );
        put(&mut v, Field::Plan, self.plan.clone());
        put(&mut v, Field::Mrr, self.mrr_cents.map(money_text));
        put(&mut v, Field::Stage, self.stage.map(|s| s.to_string()));
        put(&mut v, Field::Owner, self.owner.clone());
        put(
            &mut v,
            Field::SignupDate,
            self.signup_date.clone().or_else(|| self.signup_from_tenure.clone()),
        );
        put(&mut v, Field::RenewalDate, self.renewal_date.clone());
        put(&mut v, Field::Status, self.status.map(|s| s.to_string()));
        put(&mut v, Field::ChurnedOn, self.churned_on.clone());
        put(&mut v, Field::ChurnReason, self.churn_reason.clone());
        v
    }
}

impl ContactRecord {
    pub fn preview(&self) -> Preview {
        let mut v = Vec::new();
        put(&mut v, Field::ExternalId, self.external_id.clone());
        put(&mut v, Field::Account, Some(self.account.clone()));
        put(&mut v, Field::Name, self.name.clone());
        put(&mut v, Field::Email, self.email.clone());
        put(&mut v, Field::Role, self.role.clone());
        v
    }
}

impl TicketRecord {
    pub fn preview(&self) -> Preview {
        let mut v = Vec::new();
        put(&mut v, Field::ExternalId, self.external_id.clone());
        put(&mut v, Field::Account, self.account.clone());
        put(&mut v, Field::ContactEmail, self.contact_email.clone());
        put(&mut v, Field::ContactName, self.contact_name.clone());
        put(&mut v, Field::Subject, Some(self.subject.clone()));
        put(&mut v, Field::Channel, Some(self.channel.to_string()));
        put(&mut v, Field::Priority, Some(self.priority.to_string()));
        put(&mut v, Field::Step, Some(self.step.to_string()));
        put(
            &mut v,
            Field::Tags,
            (!self.tags.is_empty()).then(|| self.tags.join(",")),
        );
        put(&mut v, Field::OpenedAt, time_text(Some(self.opened_at)));
        put(&mut v, Field::FirstResponseAt, time_text(self.first_response_at));
        put(&mut v, Field::ResolvedAt, time_text(self.resolved_at));
        put(&mut v, Field::ClosedAt, time_text(self.closed_at));
        put(&mut v, Field::WaitingSince, time_text(self.waiting_since));
        put(&mut v, Field::Csat, self.csat.map(|c| c.to_string()));
        put(
            &mut v,
            Field::SupportTier,
            (self.support_tier != 1).then(|| self.support_tier.to_string()),
        );
        v
    }
}

impl SignalRecord {
    pub fn preview(&self) -> Preview {
        let mut v = Vec::new();
        put(&mut v, Field::ExternalId, self.external_id.clone());
        put(&mut v, Field::Account, Some(self.account.clone()));
        put(&mut v, Field::Event, Some(self.kind.to_string()));
        put(&mut v, Field::At, time_text(Some(self.at)));
        put(&mut v, Field::Feature, self.feature.clone());
        put(
            &mut v,
            Field::Core,
            self.core.map(|c| if c { "yes" } else { "no" }.to_string()),
        );
        put(&mut v, Field::Value, self.score.map(|s| s.to_string()));
        put(&mut v, Field::Payment, self.payment.map(|p| p.to_string()));
        v
    }
}

// ---- cells ----

/// A number as people write it: `1234.5`, `1,234.50`, `1.234,50`, `$29.85`, `4.0`.
pub fn parse_number(s: &str) -> Option<f64> {
    // plain digits with at most one point read as they are, with nothing to strip or convert
    let plain = s.trim();
    if !plain.is_empty()
        && plain.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && plain.bytes().filter(|b| *b == b'.').count() <= 1
    {
        return plain.parse::<f64>().ok().filter(|n| n.is_finite());
    }
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | '¥' | ' ' | '\u{a0}' | '\''))
        .collect();
    // a currency code before or after the amount: "USD 12", "12 EUR"
    let code = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase());
    let t = if t.len() > 3 && code(&t[..3]) {
        &t[3..]
    } else if t.len() > 3 && t.is_char_boundary(t.len() - 3) && code(&t[t.len() - 3..]) {
        &t[..t.len() - 3]
    } else {
        &t[..]
    };
    if t.is_empty() {
        return None;
    }
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let cleaned = match (last_dot, last_comma) {
        (Some(d), Some(c)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (None, Some(c)) if t.len() - c - 1 == 3 => t.replace(',', ""),
        (None, Some(_)) if t.matches(',').count() == 1 => t.replace(',', "."),
        (None, Some(_)) => return None,
        _ => t.to_string(),
    };
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Money in cents: `29.85` is 2985.
pub fn parse_money(s: &str) -> Result<i64, String> {
    match parse_number(s) {
        Some(n) if n < 0.0 => Err(format!("'{s}' is a negative amount")),
        Some(n) if n > 1e13 => Err(format!("'{s}' is too large an amount")),
        Some(n) => Ok((n * 100.0).round() as i64),
        None => Err(format!("'{s}' is not an amount of money")),
    }
}

/// Yes/no in its usual spellings.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    const YES: [&str; 7] = ["yes", "y", "true", "t", "1", "on", "x"];
    const NO: [&str; 6] = ["no", "n", "false", "f", "0", "off"];
    // letters and digits alone are what `normalise` would leave, lower-cased
    if s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        if YES.iter().any(|w| s.eq_ignore_ascii_case(w)) {
            return Ok(true);
        }
        if NO.iter().any(|w| s.eq_ignore_ascii_case(w)) {
            return Ok(false);
        }
    }
    match normalise(s).as_str() {
        "yes" | "y" | "true" | "t" | "1" | "on" | "x" => Ok(true),
        "no" | "n" | "false" | "f" | "0" | "off" => Ok(false),
        _ => Err(format!("'{s}' is not yes or no")),
    }
}

fn parse_duration(s: &str, unit: i64) -> Result<i64, String> {
    parse_number(s)
        .filter(|n| *n >= 0.0 && *n < 1e9)
        .map(|n| (n * unit as f64).round() as i64)
        .ok_or_else(|| format!("'{s}' is not a duration"))
}

fn parse_email(s: &str) -> Result<String, String> {
    let t = s.trim();
    // "Name <addr>" as mail clients write it
    let addr = match (t.rfind('<'), t.rfind('>')) {
        (Some(a), Some(b)) if a < b => &t[a + 1..b],
        _ => t,
    }
    .trim();
    match addr.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !addr.contains(char::is_whitespace) => {
            Ok(addr.to_ascii_lowercase())
        }
        _ => Err(format!("'{s}' is not an email address")),
    }
}

fn parse_segment(s: &str) -> Result<Segment, String> {
    // the stored word itself, without the allocations of the general reading
    if let Some(seg) = Segment::ALL.iter().find(|seg| seg.as_str() == s) {
        return Ok(*seg);
    }
    if let Ok(seg) = s.parse::<Segment>() {
        return Ok(seg);
    }
    match normalise(s).as_str() {
        "ent" | "large" | "strategic" | "key" => Ok(Segment::Enterprise),
        "midmarket" | "mid" | "mm" | "sme" | "small" | "medium" | "business" | "smallbusiness" => Ok(Segment::Smb),
        "selfservice" | "selfserve" | "selfsignup" | "techtouch" | "lowtouch" | "consumer" | "individual" | "free" => {
            Ok(Segment::SelfServe)
        }
        _ => Err(format!("'{s}' is not a segment; valid: {}", Segment::valid_words())),
    }
}

fn parse_account_status(s: &str) -> Result<AccountStatus, String> {
    if let Ok(st) = s.parse::<AccountStatus>() {
        return Ok(st);
    }
    match normalise(s).as_str() {
        "live" | "paying" | "customer" | "current" | "trial" | "trialing" | "ok" => Ok(AccountStatus::Active),
        "cancelled" | "canceled" | "lost" | "closed" | "inactive" | "terminated" | "ended" => {
            Ok(AccountStatus::Churned)
        }
        _ => parse_bool(s)
            .map(|churned| {
                if churned {
                    AccountStatus::Churned
                } else {
                    AccountStatus::Active
                }
            })
            .map_err(|_| format!("'{s}' is not an account status; valid: active, churned")),
    }
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    if let Ok(c) = s.parse::<Channel>() {
        return Ok(c);
    }
    match normalise(s).as_str() {
        "mail" | "emailmessage" | "webform" | "form" | "contactform" => Ok(Channel::Email),
        "phone" | "telephone" | "voice" | "callback" | "meeting" => Ok(Channel::Call),
        "livechat" | "messenger" | "socialmedia" | "social" | "twitter" | "facebook" | "whatsapp" | "sms" | "slack"
        | "intercom" => Ok(Channel::Chat),
        "web" | "helpcenter" | "helpcentre" | "portal" | "api" | "selfservice" | "community" => Ok(Channel::SelfServe),
        _ => Err(format!(
            "'{s}' is not a channel; valid: {} (or phone, social media, web)",
            Channel::valid_words()
        )),
    }
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    if let Ok(p) = s.parse::<Priority>() {
        return Ok(p);
    }
    match normalise(s).as_str() {
        "medium" | "med" | "standard" | "p3" | "3" => Ok(Priority::Normal),
        "critical" | "emergency" | "blocker" | "highest" | "p1" | "1" => Ok(Priority::Urgent),
        "p2" | "2" | "major" => Ok(Priority::High),
        "lowest" | "minor" | "p4" | "4" | "trivial" => Ok(Priority::Low),
        _ => Err(format!(
            "'{s}' is not a priority; valid: low, normal (medium), high, urgent (critical)"
        )),
    }
}

fn parse_tags(s: &str) -> Vec<String> {
    let mut tags: Vec<String> = s
        .split([',', ';', '|'])
        .map(|t| t.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("-"))
        .filter(|t| !t.is_empty())
        .collect();
    tags.dedup();
    tags
}

/// The latest moment tend accepts: the end of year 9999.
const LATEST: Timestamp = 253_402_300_799;

/// A moment as exports write it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DDTHH:MM[:SS]`,
/// `YYYY/MM/DD ...`, a bare date (midnight UTC), Unix seconds or milliseconds, or Twitter's
/// `Tue Oct 31 22:10:47 +0000 2017`. Times without a zone are UTC.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    let bad = || format!("'{t}' is not a time; use 2026-11-23T09:00:00Z, 2026-11-23 09:00, 2026-11-23 or Unix seconds");
    let t_found = if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        Some(d.timestamp())
    } else if let Ok(d) = chrono::DateTime::parse_from_str(t, "%a %b %d %H:%M:%S %z %Y") {
        Some(d.timestamp())
    } else if let Ok(d) = chrono::DateTime::parse_from_rfc2822(t) {
        Some(d.timestamp())
    } else if t.len() >= 9 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<i64>().ok().map(|n| if t.len() >= 13 { n / 1000 } else { n })
    } else {
        let mut found = None;
        for f in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
            "%Y/%m/%d %H:%M:%S",
            "%Y/%m/%d %H:%M",
        ] {
            if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
                found = Some(d.and_utc().timestamp());
                break;
            }
        }
        found.or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| chrono::NaiveDate::parse_from_str(t, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp())
        })
    };
    t_found.filter(|t| (0..=LATEST).contains(t)).ok_or_else(bad)
}

/// A calendar day, `YYYY-MM-DD`, from a date or a moment.
pub fn parse_date(s: &str) -> Result<String, String> {
    use chrono::Datelike;
    // already in the stored form: what parse_timestamp would read as that day's midnight
    let t = s.trim();
    if super::iso_day(t).is_some_and(|d| d.year() >= 1970) {
        return Ok(t.to_string());
    }
    parse_timestamp(s)
        .map(super::day_string)
        .map_err(|_| format!("'{}' is not a date; use 2026-11-23", s.trim()))
}

// ---- mail senders ----

/// Which account an email address belongs to: a company's domain, or, for a personal mailbox
/// (free mail, or a reserved domain such as example.com), the person alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountKey {
    Domain(String),
    Person(String),
}

impl AccountKey {
    /// The account's external id: the domain, or the address.
    pub fn external_id(&self) -> &str {
        match self {
            AccountKey::Domain(d) | AccountKey::Person(d) => d,
        }
    }
}

const PERSONAL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "yandex.ru",
    "yandex.com",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "tutanota.com",
    "free.fr",
    "orange.fr",
    "t-online.de",
    "libero.it",
    "comcast.net",
    "verizon.net",
    "att.net",
    "naver.com",
];

pub fn account_key(email: &str) -> Option<AccountKey> {
    let email = email.trim().to_ascii_lowercase();
    let (_, domain) = email.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if domain.is_empty() || !domain.contains('.') {
        return None;
    }
    let reserved = ["example.com", "example.net", "example.org"].contains(&domain)
        || [".example", ".invalid", ".test", ".localhost", ".local"]
            .iter()
            .any(|s| domain.ends_with(s))
        || domain.ends_with(".example.com");
    if reserved || PERSONAL_DOMAINS.contains(&domain) {
        Some(AccountKey::Person(email.clone()))
    } else {
        Some(AccountKey::Domain(domain.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn telco_headers_map_by_synonym() {
        let h = strings(&[
            "customerID",
            "gender",
            "tenure",
            "Contract",
            "MonthlyCharges",
            "TotalCharges",
            "Churn",
        ]);
        let m = map_headers(Kind::Accounts, &h, &[], &[]).unwrap();
        assert_eq!(
            m.columns,
            vec![
                Some(Field::ExternalId),
                None,
                Some(Field::TenureMonths),
                Some(Field::Plan),
                Some(Field::Mrr),
                None,
                Some(Field::Churned)
            ]
        );
    }

    #[test]
    fn overrides_win_and_unknown_columns_are_refused() {
        let h = strings(&["Customer Name", "code"]);
        let m = map_headers(Kind::Accounts, &h, &[("code".into(), Some(Field::ExternalId))], &[]).unwrap();
        assert_eq!(m.columns, vec![Some(Field::Name), Some(Field::ExternalId)]);
        let e = map_headers(Kind::Accounts, &h, &[("nope".into(), Some(Field::Name))], &[]).unwrap_err();
        assert!(e.contains("'nope'"), "{e}");
        let e = map_headers(Kind::Accounts, &strings(&["name"]), &[], &[]).unwrap_err();
        assert!(e.contains("external_id"), "{e}");
    }

    #[test]
    fn numbers_in_their_usual_spellings() {
        assert_eq!(parse_money("29.85"), Ok(2985));
        assert_eq!(parse_money("$1,234.50"), Ok(123_450));
        assert_eq!(parse_money("1.234,50"), Ok(123_450));
        assert_eq!(parse_money("12,5"), Ok(1250));
        assert_eq!(parse_money("1,234"), Ok(123_400));
        assert!(parse_money(" ").is_err());
        assert!(parse_money("-3").is_err());
        assert_eq!(parse_number("4.0"), Some(4.0));
        assert_eq!(parse_money("USD 12"), Ok(1200));
        assert!(parse_money("12abc").is_err());
    }

    #[test]
    fn times_in_their_usual_spellings() {
        assert_eq!(parse_timestamp("2023-06-01 12:15:36"), Ok(1_685_621_736));
        assert_eq!(parse_timestamp("2023-06-01T12:15:36Z"), Ok(1_685_621_736));
        assert_eq!(parse_timestamp("Thu Jun 01 12:15:36 +0000 2023"), Ok(1_685_621_736));
        assert_eq!(parse_timestamp("1685621736"), Ok(1_685_621_736));
        assert_eq!(parse_timestamp("1685621736000"), Ok(1_685_621_736));
        assert_eq!(parse_timestamp("2023-06-01"), Ok(1_685_577_600));
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(parse_date("2023-06-01 12:00:00"), Ok("2023-06-01".into()));
    }

    #[test]
    fn statuses_events_and_senders() {
        assert_eq!(
            parse_ticket_status("Pending Customer Response"),
            Ok((Step::Diagnose, true))
        );
        assert_eq!(parse_ticket_status("Closed"), Ok((Step::Closed, false)));
        assert_eq!(parse_ticket_status("follow-up"), Ok((Step::FollowUp, false)));
        assert!(parse_ticket_status("purple").is_err());
        assert_eq!(
            classify_event("payment_failed", &[]),
            Some(EventClass::Signal(SignalKind::Payment, Some(PaymentStatus::Failed)))
        );
        assert_eq!(classify_event("page_view", &[]), None);
        assert_eq!(
            classify_event(
                "page_view",
                &[("page-view".into(), EventClass::Signal(SignalKind::Login, None))]
            ),
            Some(EventClass::Signal(SignalKind::Login, None))
        );
        assert_eq!(account_key("Ann@Acme.io"), Some(AccountKey::Domain("acme.io".into())));
        assert_eq!(
            account_key("bob@gmail.com"),
            Some(AccountKey::Person("bob@gmail.com".into()))
        );
        assert_eq!(
            account_key("x@example.com"),
            Some(AccountKey::Person("x@example.com".into()))
        );
        assert_eq!(
            account_key("x@apache.org.INVALID"),
            Some(AccountKey::Person("x@apache.org.invalid".into()))
        );
        assert_eq!(account_key("nobody"), None);
    }

    #[test]
    fn a_ticket_row_becomes_a_record() {
        let h = strings(&[
            "Ticket ID",
            "Customer Email",
            "Ticket Status",
            "First Response Time",
            "Time to Resolution",
            "Customer Satisfaction Rating",
        ]);
        let m = map_headers(Kind::Tickets, &h, &[], &[]).unwrap();
        let cells = strings(&[
            "7",
            "A@b.io",
            "Closed",
            "2023-06-01 12:15:36",
            "2023-06-01 18:05:11",
            "3.0",
        ]);
        let t = ticket_record(&m.row(&cells), 1_700_000_000).unwrap();
        assert_eq!(t.step, Step::Closed);
        assert_eq!(t.opened_at, 1_685_621_736);
        assert_eq!(t.closed_at, Some(1_685_642_711));
        assert_eq!(t.csat, Some(3));
        assert_eq!(t.contact_email.as_deref(), Some("a@b.io"));
        let bad = strings(&["8", "A@b.io", "Closed", "", "", "9"]);
        let p = ticket_record(&m.row(&bad), 1_700_000_000).unwrap_err();
        assert_eq!(p.field, Some(Field::Csat));
    }

    #[test]
    fn dates_read_on_the_quick_path_as_on_the_general_one() {
        // what parse_date gave before it had a quick path for YYYY-MM-DD
        let general = |s: &str| {
            parse_timestamp(s)
                .map(crate::domain::day_string)
                .map_err(|_| format!("'{}' is not a date; use 2026-11-23", s.trim()))
        };
        for s in [
            "2024-03-05",
            " 2024-03-05 ",
            "1970-01-01",
            "1969-12-31",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "9999-12-31",
            "0999-01-01",
            "2024-3-5",
            "2024/03/05",
            "2024-03-05T10:00:00Z",
            "2024-03-0x",
            "２０２４-03-05",
            "",
        ] {
            assert_eq!(parse_date(s), general(s), "{s:?}");
        }
    }

    #[test]
    fn days_are_written_as_chrono_writes_them() {
        let chrono_day = |t: Timestamp| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| t.to_string())
        };
        for t in [
            0,
            -1,
            86_399,
            86_400,
            1_700_000_000,
            951_782_400,
            LATEST,
            LATEST + 1,
            -62_167_219_200,
            -62_167_219_201,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(crate::domain::day_string(t), chrono_day(t), "{t}");
        }
        for s in [
            "2024-02-29",
            "0001-01-01",
            "2023-02-29",
            "2024-3-5",
            "+2024-03-05",
            "2024-03-05 ",
        ] {
            assert_eq!(
                crate::domain::parse_day(s),
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn quick_readings_of_numbers_yes_no_and_segments_agree_with_the_general_ones() {
        // what parse_number gave before its quick path: the general path on a string it skips
        for s in [
            "0",
            "7",
            "007",
            "29.85",
            "1234.5",
            ".5",
            "5.",
            ".",
            "1.2.3",
            "",
            " 12 ",
            "1e3",
            "12.3456789",
            "99999999999999999999999",
            "1,234.50",
            "$29.85",
        ] {
            let general = {
                let spaced = format!(" {s}\u{a0}");
                parse_number(&spaced)
            };
            assert_eq!(parse_number(s), general, "{s:?}");
        }
        for s in [
            "yes", "Yes", "YES", "y", "1", "No", "OFF", "x", "X", "true", "F", "maybe", "y e s", "Yes!", "ja",
        ] {
            let general = match normalise(s).as_str() {
                "yes" | "y" | "true" | "t" | "1" | "on" | "x" => Ok(true),
                "no" | "n" | "false" | "f" | "0" | "off" => Ok(false),
                _ => Err(format!("'{s}' is not yes or no")),
            };
            assert_eq!(parse_bool(s), general, "{s:?}");
        }
        for seg in Segment::ALL {
            assert_eq!(parse_segment(seg.as_str()), Ok(*seg));
            assert_eq!(seg.as_str().parse::<Segment>(), Ok(*seg), "the general reading agrees");
        }
    }
}
