#!/usr/bin/env python3
"""Write the seed inputs of the fuzz targets into fuzz/corpus/<target>/.

Seeds come from the project's own fixtures (tests/fixtures, assets/templates) and small slices of
the real data described in shared/fixtures/real/README.md (give its folder as the argument; it
is skipped when missing). Each seed is named after where it came from. The committed corpora are
these seeds after fuzzing and `cargo fuzz cmin`.
"""
import email.utils
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
ROOT = os.path.dirname(FUZZ)
REAL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "fixtures", "real")
CORPUS = os.path.join(FUZZ, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def head_lines(path, n, max_bytes=4096):
    """The first n records' lines of a CSV (naive: physical lines), at most max_bytes."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")[:n]
    out = b"\n".join(lines) + b"\n"
    return out[:max_bytes]


def real(*parts):
    p = os.path.join(REAL, *parts)
    return p if os.path.exists(p) else None


# ---- csv_import: one option byte (kind 0 accounts, 1 contacts, 2 tickets, 3 signals), then the CSV
KINDS = {"accounts": 0, "contacts": 1, "tickets": 2, "signals": 3}
for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "import", "*"))):
    base = os.path.basename(path)
    kind = next((v for k, v in KINDS.items() if base.startswith(k)), 0)
    with open(path, "rb") as f:
        data = f.read()
    put("csv_import", base, bytes([kind]) + data)
    put("csv_import", base + ".strict", bytes([kind | 4]) + data)

real_csv = [
    ("telco_customer_churn.csv", 0, 12),
    ("ravenstack/ravenstack_accounts.csv", 0, 12),
    ("ravenstack/ravenstack_support_tickets.csv", 2, 12),
    ("ravenstack/ravenstack_feature_usage.csv", 3, 12),
    ("ravenstack/ravenstack_subscriptions.csv", 0, 8),
    ("ravenstack/ravenstack_churn_events.csv", 3, 8),
    ("customer_support_tickets.csv", 2, 14),
    ("twcs_sample_5000.csv", 2, 14),
]
for rel, kind, n in real_csv:
    p = real(*rel.split("/"))
    if p:
        put("csv_import", "real-" + os.path.basename(rel), bytes([kind]) + head_lines(p, n))
        put("csv_import", "real-" + os.path.basename(rel) + ".contacts", bytes([1]) + head_lines(p, n))
# twcs tweet 3399: bare CRs inside an unquoted field
p = real("twcs_sample_5000.csv")
if p:
    with open(p, "rb") as f:
        data = f.read()
    header = data.split(b"\n", 1)[0] + b"\n"
    i = data.find(b"\n3399,")
    if i >= 0:
        j = data.find(b"\n", data.find(b"\n", i + 1) + 1)
        put("csv_import", "real-twcs-bare-cr", bytes([2]) + header + data[i + 1 : j + 1])

# ---- mail_import: one byte (0 mbox, 1 Maildir message), then the file
for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "mail", "*.mbox"))):
    with open(path, "rb") as f:
        put("mail_import", os.path.basename(path), b"\0" + f.read())
for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "mail", "maildir-new", "*", "*"))):
    with open(path, "rb") as f:
        put("mail_import", "maildir-" + os.path.basename(path), b"\1" + f.read())


def mbox_messages(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = re.split(rb"(?m)^(?=From )", data)
    return [p for p in parts if p.startswith(b"From ")]


for rel in ["edge-cases/empty_attachment.mbox", "edge-cases/empty_body.mbox", "edge-cases/text_enriched.mbox",
            "edge-cases/tomcat-ancient-boundary.mbox", "edge-cases/nexus-html-only.mbox"]:
    p = real("mbox", *rel.split("/"))
    if p:
        msgs = mbox_messages(p)
        put("mail_import", "real-" + os.path.basename(rel), b"\0" + b"".join(msgs[:2])[:12000])
for rel in ["httpd-users-2020-07.mbox", "maven-dev-2017-11.mbox"]:
    p = real("mbox", rel)
    if not p:
        continue
    msgs = mbox_messages(p)
    small = [m for m in msgs if len(m) < 6000]
    # a few single messages of different kinds (encodings, multipart, no Date)
    picked = []
    for pat in [rb"iso-2022-jp", rb"multipart/signed", rb"multipart/alternative", rb"=\?ISO-8859-1\?Q\?",
                rb"windows-1252", rb"\[GitHub\]", rb"\n>From ", rb"In-Reply-To"]:
        m = next((m for m in small if re.search(pat, m, re.I) and m not in picked), None)
        if m:
            picked.append(m)
    for i, m in enumerate(picked):
        put("mail_import", f"real-{rel}-{i}", b"\0" + m)
    # a short thread: a message and its replies, when small
    put("mail_import", f"real-{rel}-first3", b"\0" + b"".join(small[:3])[:12000])
p = real("maildir", "lkml", "cur")
if p:
    for name in sorted(os.listdir(p))[:200:20]:
        with open(os.path.join(p, name), "rb") as f:
            data = f.read()
        if len(data) < 8000:
            put("mail_import", "real-lkml-" + name, b"\1" + data)

# ---- template_render: the template file, NUL, a reply, NUL, the field values
for path in sorted(glob.glob(os.path.join(ROOT, "assets", "templates", "*.tmpl"))):
    with open(path, "rb") as f:
        data = f.read()
    put("template_render", os.path.basename(path), data)
put("template_render", "generalise",
    b"name: x\nfor: general\nsubject: Re: {ticket_subject}\n\nHi {first_name}, {{literal}}\n"
    b"\0Hi Alice, your plan Pro at Northwind {braces} costs $1,250.\n"
    b"\0Northwind\0Alice Martin\0Alice\0alice@northwind.io\0Pro\0Adoption\0smb\0$1,250")
put("template_render", "blanks",
    b"name: Workaround\nfor: onboarding day 3\nsubject: {company}: a workaround\nblanks: workaround, why\n\n"
    b"Hi {first_name},\n\n{workaround}\n\nBecause {why}.\n")

# ---- investigation_answers: TOML answers files
with open(os.path.join(ROOT, "tests", "investigations_cli.rs"), encoding="utf-8") as f:
    src = f.read()
m = re.search(r'const GOLDEN_ANSWERS: &str = r#"(.*?)"#;', src, re.S)
if m:
    put("investigation_answers", "golden.toml", m.group(1).encode())
rated = ('situation = "adoption-issue"\ngoal = "Roll the reports out to every team"\n'
         'business_result = "Weekly reporting without spreadsheets"\ncustomer_impact = "{c}"\n'
         'relationship_impact = "{r}"\nscalability = "medium"\nresource_efficiency = "{e}"\nprocess_fit = "{f}"\n')
for i, (c, r, e, f_) in enumerate([("high", "high", "high", "needs-improvement"), ("low", "low", "medium", "adequate"),
                                   ("medium", "high", "low", "needs-improvement")]):
    put("investigation_answers", f"rated-{i}.toml", rated.format(c=c, r=r, e=e, f=f_).encode())
put("investigation_answers", "quick.toml", (rated.format(c="high", r="high", e="high", f="needs-improvement") +
    'quick_filter = [true, true, true, true, true]\nworkaround = "Export one month at a time"\n'
    'why_deferred = "The exporter rewrite is planned for Q1"\npattern = "exports"\n').encode())
put("investigation_answers", "only-goal.toml", b'goal = "Export invoices"\n')
put("investigation_answers", "unknown.toml", b'colour = "red"\n')
put("investigation_answers", "huge.toml", b'customer_impact = "huge"\n')
put("investigation_answers", "tables.toml",
    b'[notes]\ncustomer_impact = "a | b \\\\| c"\n[assessments]\napproach = \'\'\'multi\nline\'\'\'\n')

# ---- sanitise: text with escapes, controls, bidi and zero-width characters, and real text
for i, s in enumerate([
    "a\x1b[31mred\x1b[0m b", "x\x1b]52;c;aGVsbG8=\x07y", "x\x1b]0;title\x1b\\y", "x\x1bPq#0\x1b\\y",
    "x\u009b2Jy", "x\u009d52;c;AA\u009cy", "x\x1b(By", "a\x07b\x00c", "evil\u202etxt.exe", "zero\u200bwidth",
    "two\nlines\r\nhere\ttab", "two\r\nlines\rold mac", "Caf\u00e9 \u6771\u4eac \U0001f44d", "soft\u00adhyphen\ufeff",
    "\u2066isolate\u2069 \u061c mark", "\x1b[", "\x1b]unterminated", "\u0090dcs\u009c", "\r\r\n\n\t \t",
]):
    put("sanitise", f"case-{i}", s.encode("utf-8"))
put("sanitise", "invalid-utf8", b"ok \xff\xfe \xc3\x28 \x1b[1m")
p = real("twcs_sample_5000.csv")
if p:
    put("sanitise", "real-twcs", head_lines(p, 30, 3000))
p = real("mbox", "httpd-users-2020-07.mbox")
if p:
    with open(p, "rb") as f:
        put("sanitise", "real-mbox-head", f.read(3000))
