#!/usr/bin/env bash
# bench/compare.sh — times tend beside the sqlite3 shell doing the same work on one large database
# (issue 8), and prints medians of several runs with their ratios.
#
#   bench/compare.sh [--db PATH] [--runs N] [--tend PATH]
#
# --db    the large database; built once with `tend demo` (100k accounts, 1M tickets, 10M signals)
#         when missing [default: ${TEND_BENCH_DIR:-/tmp/tend-bench}/large.db]
# --runs  runs per measurement; the median is shown [default: 5]
# --tend  the tend binary [default: target/release/tend, built with cargo when missing]
#
# Every tend command runs with the same frozen clock (--now) and actor, so runs are comparable.
# The sqlite3 side runs the queries the views run (src/store/lists.rs, src/app/data.rs), and
# imports the CSV into a copy of tend's own accounts table (its indexes, without its triggers).
# Note: `health recompute` writes to the database.
set -euo pipefail
shopt -s inherit_errexit

die() { echo "compare.sh: $*" >&2; exit 1; }

BENCH_DIR=${TEND_BENCH_DIR:-/tmp/tend-bench}
DB=$BENCH_DIR/large.db RUNS=5 TEND=""
while (($#)); do
  case $1 in
    --db) DB=${2:?--db needs a path}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --tend) TEND=${2:?--tend needs a path}; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive whole number, not '$RUNS'"
DB=$(realpath -m "$DB")
[[ -n $TEND ]] && TEND=$(realpath -m "$TEND")
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v sqlite3 >/dev/null || die "sqlite3 is needed for the comparison; install it with apt-get install sqlite3"
if [[ -z $TEND ]]; then
  TEND=$PWD/target/release/tend
  if [[ ! -x $TEND ]]; then
    echo "building tend (cargo build --release) ..."
    cargo build --release || die "cargo build --release failed"
  fi
fi
[[ -x $TEND ]] || die "no tend binary at $TEND"

NOW_ISO=2026-11-22T09:00:00Z NOW=1795338000 ACTOR=bench # the frozen clock, as both forms
DAY=$(date -u -d "@$NOW" +%F) TREND_DAY=$(date -u -d "@$((NOW - 30 * 86400))" +%F)
TENDC=("$TEND" --as "$ACTOR" --now "$NOW_ISO") # then --db DB and the command

mkdir -p "$BENCH_DIR" "$(dirname "$DB")"
TMP=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
BUILDING=""
cleanup() { rm -rf "$TMP"; [[ -z $BUILDING ]] || rm -f "$DB" "$DB-wal" "$DB-shm"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- measuring: wall time by the clock around each run, max RSS from GNU time when present
HAVE_TIME=""; [[ -x /usr/bin/time ]] && HAVE_TIME=1
# once CMD...: one run, output thrown away; sets MS (wall ms) and KB (max RSS, or empty)
once() {
  local t0 t1
  t0=$(date +%s%N)
  if [[ -n $HAVE_TIME ]]; then
    /usr/bin/time -f %M -o "$TMP/rss" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "failed: $*"; }
  else
    "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; die "failed: $*"; }
  fi
  t1=$(date +%s%N)
  MS=$(((t1 - t0) / 1000000))
  KB=""
  if [[ -n $HAVE_TIME ]]; then KB=$(tail -n 1 "$TMP/rss"); fi
}
# measure [--before FN] CMD...: RUNS runs (FN first each time, untimed); sets MED (median ms)
# and RSS (the largest max RSS seen, in MB, or "-")
measure() {
  local before=: ms=() kb=0 i
  if [[ $1 == --before ]]; then before=$2; shift 2; fi
  for ((i = 0; i < RUNS; i++)); do
    "$before"
    once "$@"
    ms+=("$MS")
    if [[ -n $KB ]] && ((KB > kb)); then kb=$KB; fi
  done
  MED=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}')
  RSS=-; ((kb > 0)) && RSS="$((kb / 1024)) MB"
  return 0
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
# verdict VALUE OP LIMIT: "ok" when VALUE OP LIMIT holds, else "MISSED"
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == "<=") ? v <= l : v >= l; print ok ? "ok" : "MISSED"}'; }
ROWS=()
row() { ROWS+=("$(printf '%-46s | %12s | %14s | %8s | %s' "$@")"); }

# ---- the large database, built once
if [[ -f $DB ]]; then
  echo "reusing the large database $DB ($(du -h "$DB" | cut -f1))"
else
  echo "building the large database $DB (100k accounts, 1M tickets, 10M signals) once; this takes minutes ..."
  BUILDING=1
  t0=$(date +%s%N)
  "${TENDC[@]}" --db "$DB" demo --accounts 100000 --tickets 1000000 --signals 10000000 >/dev/null || die "tend demo failed"
  BUILDING=""
  echo "built in $(awk -v n=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.1f", n / 1e9}') s"
fi
# one untimed run: migrates a file made by an older tend, and warms the page cache for both sides
"${TENDC[@]}" --db "$DB" screen accounts >/dev/null || die "tend cannot open $DB"

# ---- 1. the Accounts view: the snapshot, the list's count, its first window and the trend starts
ACCOUNT_COLUMNS="a.id, a.external_id, a.name, a.segment, a.plan, a.mrr_cents, a.stage, a.owner, a.signup_date, \
a.renewal_date, a.status, a.churned_on, a.churn_reason, a.health_score, a.health_usage, a.health_engagement, \
a.health_satisfaction, a.health_payment, a.last_login_at, a.open_tickets, a.version"
TICKET_COLUMNS="t.id, t.external_id, t.account_id, a.name, a.health_score, t.contact_id, t.subject, t.body, t.channel, \
t.priority, t.support_tier, t.step, t.assignee, t.tags, t.opened_at, t.acknowledged_at, t.first_response_at, \
t.resolved_at, t.followed_up_at, t.closed_at, t.first_response_due, t.resolution_due, t.waiting_since, \
t.paused_secs, t.snoozed_until, t.snoozed_until_reply, t.csat, t.next_due, t.version"
SNOOZED="(t.snoozed_until_reply = 1 OR coalesce(t.snoozed_until > $NOW, 0))"
OPEN="t.closed_at IS NULL AND NOT $SNOOZED"
QORDER="t.next_due IS NULL, t.next_due, t.opened_at, t.id"
AORDER="coalesce(a.health_score, 4294967295) ASC, a.id"
cat >"$TMP/snapshot.sql" <<SQL
SELECT count(*) FROM tickets t INDEXED BY tickets_queue  WHERE $OPEN;
SELECT count(*) FROM tickets t INDEXED BY tickets_queue  WHERE t.closed_at IS NULL AND $SNOOZED;
SELECT count(*) FROM accounts;
SELECT item FROM review_marks WHERE actor = '$ACTOR' AND day = '$DAY';
SELECT i.id, i.account_id, a.name, i.ticket_id, i.situation, i.goal, i.priority, i.status, i.health_at_start,
  a.health_score, i.follow_up_due, i.actor, i.created_at, i.answers
  FROM investigations i LEFT JOIN accounts a ON a.id = i.account_id ORDER BY i.created_at DESC, i.id DESC;
PRAGMA data_version;
SQL
{ cat "$TMP/snapshot.sql"; cat <<SQL; } >"$TMP/accounts.sql"
SELECT count(*) FROM accounts a WHERE 1 = 1;
SELECT $ACCOUNT_COLUMNS FROM accounts a WHERE a.id IN
  (SELECT a.id FROM accounts a WHERE 1 = 1 ORDER BY $AORDER LIMIT 180 OFFSET 0) ORDER BY $AORDER;
SELECT p.id, (SELECT score FROM health_snapshots WHERE account_id = p.id AND day >= '$TREND_DAY' ORDER BY day LIMIT 1)
  FROM (SELECT a.id FROM accounts a WHERE 1 = 1 ORDER BY $AORDER LIMIT 180 OFFSET 0) p;
SQL
{ cat "$TMP/snapshot.sql"; cat <<SQL; } >"$TMP/tickets.sql"
SELECT count(*) FROM tickets t INDEXED BY tickets_queue  WHERE $OPEN;
SELECT $TICKET_COLUMNS FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.id IN
  (SELECT t.id FROM tickets t INDEXED BY tickets_queue  WHERE $OPEN ORDER BY $QORDER LIMIT 180 OFFSET 0)
  ORDER BY $QORDER;
SQL
echo "timing, median of $RUNS runs each ..."
measure "${TENDC[@]}" --db "$DB" screen accounts --width 80 --height 24; T_ACC=$MED R_ACC=$RSS
measure sqlite3 -batch "$DB" ".read '$TMP/accounts.sql'"; S_ACC=$MED
R=$(ratio "$T_ACC" "$S_ACC")
row "screen accounts (80x24) vs its queries" "$T_ACC ms" "$S_ACC ms" "$R" "<= 3 $(verdict "$R" "<=" 3) · tend RSS $R_ACC"

# ---- 2. the Tickets view: the snapshot, the open queue's count and first window
measure "${TENDC[@]}" --db "$DB" screen tickets --width 80 --height 24; T_TIX=$MED R_TIX=$RSS
measure sqlite3 -batch "$DB" ".read '$TMP/tickets.sql'"; S_TIX=$MED
R=$(ratio "$T_TIX" "$S_TIX")
row "screen tickets (80x24) vs its queries" "$T_TIX ms" "$S_TIX ms" "$R" "<= 3 $(verdict "$R" "<=" 3) (info) · tend RSS $R_TIX"

# ---- 3. CSV import of 200,000 accounts into a fresh database each run
CSV=$BENCH_DIR/accounts-200k.csv N=200000
if [[ ! -s $CSV ]]; then
  echo "writing $CSV ($N rows) once ..."
  awk -v n=$N 'BEGIN {
    split("enterprise smb self-serve", seg, " "); split("Starter Growth Scale Enterprise", plan, " ")
    print "customerID,company,segment,plan,mrr,signup_date,renewal_date,churn"
    for (i = 1; i <= n; i++) {
      y = 2019 + i % 6; m = 1 + i % 12; d = 1 + i % 28
      printf "C%07d,Company %d,%s,%s,%d.%02d,%04d-%02d-%02d,%04d-%02d-%02d,%s\n", i, i, seg[1 + i % 3],
        plan[1 + i % 4], 20 + (i * 37) % 4980, i % 100, y, m, d, y + 2, m, d, (i % 10 == 0) ? "Yes" : "No"
    }
  }' >"$CSV.tmp" && mv "$CSV.tmp" "$CSV"
fi
fresh() { rm -f "$TMP"/fresh.db*; }
measure --before fresh "${TENDC[@]}" --db "$TMP/fresh.db" import accounts "$CSV"; T_IMP=$MED R_IMP=$RSS
[[ $(sqlite3 "$TMP/fresh.db" "SELECT count(*) FROM accounts") == "$N" ]] || die "tend did not import all $N rows"
# tend's accounts table and its indexes (not its triggers, which feed other tables), as tend made it
sqlite3 "$TMP/fresh.db" "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'accounts'
  AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC" >"$TMP/schema.sql"
cat >"$TMP/import.sql" <<SQL
PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;
.read '$TMP/schema.sql'
CREATE TEMP TABLE t (customerID TEXT, company TEXT, segment TEXT, plan TEXT, mrr TEXT, signup_date TEXT,
  renewal_date TEXT, churn TEXT);
.import --csv --skip 1 '$CSV' t
INSERT INTO accounts (external_id, name, segment, plan, mrr_cents, stage, signup_date, renewal_date, status,
  created_at, updated_at)
SELECT customerID, company, segment, plan, CAST(round(mrr * 100) AS INTEGER), 'adoption', signup_date,
  nullif(renewal_date, ''), CASE churn WHEN 'Yes' THEN 'churned' ELSE 'active' END, $NOW, $NOW FROM t;
SQL
fresh2() { rm -f "$TMP"/fresh2.db*; }
measure --before fresh2 sqlite3 -batch "$TMP/fresh2.db" ".read '$TMP/import.sql'"; S_IMP=$MED
[[ $(sqlite3 "$TMP/fresh2.db" "SELECT count(*) FROM accounts") == "$N" ]] || die "sqlite3 did not import all $N rows"
R=$(ratio "$T_IMP" "$S_IMP")
RPS=$(awk -v n=$N -v ms="$T_IMP" 'BEGIN {printf "%d", n / (ms / 1000)}')
row "import 200k accounts CSV (fresh db)" "$T_IMP ms" "$S_IMP ms" "$R" "<= 2 $(verdict "$R" "<=" 2) · tend RSS $R_IMP"
row "  tend import rate" "$RPS rows/s" "-" "-" ">= 100,000 rows/s $(verdict "$RPS" ">=" 100000)"

# ---- 4. health recompute (writes), 5. the process-level cold start
measure "${TENDC[@]}" --db "$DB" health recompute; T_HR=$MED
row "health recompute (large db)" "$T_HR ms" "-" "-" "<= 5000 ms $(verdict "$T_HR" "<=" 5000) · tend RSS $RSS"
row "cold start (process) to first Accounts frame" "$T_ACC ms" "-" "-" "<= 150 ms $(verdict "$T_ACC" "<=" 150)"

echo
printf '%-46s | %12s | %14s | %8s | %s\n' "what" "tend median" "sqlite3 median" "ratio" "target"
printf '%s\n' "$(printf -- '-%.0s' {1..120})"
printf '%s\n' "${ROWS[@]}"
echo
echo "database: $DB ($(sqlite3 "$DB" "SELECT (SELECT count(*) FROM accounts) || ' accounts, ' ||
  (SELECT count(*) FROM tickets) || ' tickets'"))  · clock $NOW_ISO · $RUNS runs each, warm page cache"
echo "machine:  $(nproc) CPUs, $(uname -m), $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo),\
 $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tend:     $("$TEND" --version) ($TEND)"
echo "sqlite3:  $(sqlite3 --version | cut -d' ' -f1-2)"
