//! Getting a reply out, in ways that work over SSH: the terminal clipboard (OSC 52), a file,
//! or an RFC 5322 message piped to a send command the user configured (`msmtp -t`,
//! `sendmail -t`). tend has no SMTP client of its own.

use crate::domain::Timestamp;
use base64::Engine as _;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The escape sequence that asks the terminal to put `text` on the clipboard:
/// `ESC ] 52 ; c ; <base64> BEL`. Terminals, tmux (with `set-clipboard on`) and SSH pass it.
pub fn osc52(text: &str) -> String {
    format!(
        "\u{1b}]52;c;{}\u{7}",
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    )
}

/// Text as it goes to the clipboard or a reader: the subject line, a blank line, the body.
pub fn plain(subject: &str, body: &str) -> String {
    format!("Subject: {subject}\n\n{}\n", body.trim_end())
}

/// A reply as an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    /// The customer's Message-ID this answers: becomes In-Reply-To and References.
    pub in_reply_to: Option<String>,
    pub message_id: String,
    pub date: Timestamp,
}

/// Split "Name <addr@host>" into its parts; a bare address has no name.
fn address(s: &str) -> Address<'static> {
    let s = s.trim();
    if let (Some(open), Some(close)) = (s.rfind('<'), s.rfind('>')) {
        if open < close {
            let name = s[..open].trim().trim_matches('"').to_string();
            let addr = s[open + 1..close].trim().to_string();
            return if name.is_empty() {
                Address::from(addr)
            } else {
                Address::from((name, addr))
            };
        }
    }
    Address::from(s.to_string())
}

fn bare_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').to_string()
}

/// A new Message-ID for a reply, on the sender's domain when one is known.
pub fn new_message_id(from: Option<&str>, now: Timestamp) -> String {
    let domain = from
        .and_then(|f| f.rsplit('@').next())
        .map(|d| d.trim_end_matches('>').trim().to_string())
        .filter(|d| !d.is_empty() && !d.contains(' '))
        .unwrap_or_else(|| "tend.localhost".into());
    format!("tend-{now}-{:08x}@{domain}", fastrand::u32(..))
}

impl Outgoing {
    /// The message in RFC 5322 form, CRLF line endings, non-ASCII text encoded.
    pub fn to_rfc5322(&self) -> Result<Vec<u8>, String> {
        let mut m = MessageBuilder::new()
            .subject(self.subject.clone())
            .date(self.date)
            .message_id(bare_id(&self.message_id))
            .text_body(self.body.clone());
        if let Some(f) = &self.from {
            m = m.from(address(f));
        }
        if let Some(t) = &self.to {
            m = m.to(address(t));
        }
        if let Some(r) = &self.in_reply_to {
            m = m.in_reply_to(bare_id(r)).references(bare_id(r));
        }
        m.write_to_vec().map_err(|e| format!("cannot build the message: {e}"))
    }
}

/// Pipe a message to the send command (run by `sh -c`), in the local line-ending convention
/// sendmail-compatible commands expect. A failing command's own words come back.
pub fn send_with(command: &str, message: &[u8]) -> Result<(), String> {
    send_within(command, message, SEND_TIMEOUT)
}

/// How long a send command may run. A reply leaves while its writer holds the database's write
/// lock (so that no one else's reply to the same ticket goes out meanwhile): a command that
/// hangs must not hold everyone's changes for ever.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// `send_with`, stopping the command after `limit`.
pub fn send_within(command: &str, message: &[u8], limit: std::time::Duration) -> Result<(), String> {
    use std::io::Read;
    let local: Vec<u8> = String::from_utf8_lossy(message).replace("\r\n", "\n").into_bytes();
    let mut child = std::os::unix::process::CommandExt::process_group(
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        // its own process group, so that stopping it stops what it started too
        0,
    )
    .spawn()
    .map_err(|e| format!("cannot run the send command `{command}`: {e}"))?;
    // written and read on their own threads: a command that neither reads all its input nor
    // stops writing errors must not block this one
    // neither is waited for past the deadline: something the command left running in the
    // background can hold its pipes open after it exits
    if let Some(mut stdin) = child.stdin.take() {
        std::thread::spawn(move || {
            // a command that exits early closes its input: its status says why
            let _ = stdin.write_all(&local);
        });
    }
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    if let Some(mut err) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = err.read_to_end(&mut text);
            let _ = err_tx.send(text);
        });
    }
    let group = i32::try_from(child.id()).ok().map(nix::unistd::Pid::from_raw);
    let stop_group = || {
        if let Some(pid) = group {
            let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
        }
    };
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(None) => {
                stop_group();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the send command `{command}` ran for over {} s and was stopped, so the reply was not recorded; check whether it left before sending it again",
                    limit.as_secs()
                ));
            }
            Err(e) => return Err(format!("the send command `{command}` did not finish: {e}")),
        }
    };
    // its error output: it closes as the command exits, unless something the command left
    // running holds it; that gets a second, then goes
    let left = deadline
        .saturating_duration_since(std::time::Instant::now())
        .min(std::time::Duration::from_secs(1));
    let err = err_rx.recv_timeout(left).unwrap_or_else(|_| {
        stop_group();
        Vec::new()
    });
    if status.success() {
        Ok(())
    } else {
        let err = crate::text::one_line(String::from_utf8_lossy(&err).trim());
        Err(format!(
            "the send command `{command}` failed ({status}){}",
            if err.is_empty() {
                String::new()
            } else {
                format!(": {err}")
            }
        ))
    }
}

/// Write a message to a file; refuses to overwrite one that exists.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_command_that_hangs_is_stopped_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let late = dir.path().join("late");
        let started = std::time::Instant::now();
        // the shell waits for a child that would write a file after the limit
        let e = send_within(
            &format!("(sleep 3; touch '{}') ; cat >/dev/null", late.display()),
            b"Subject: x\r\n\r\nbody\r\n",
            std::time::Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(e.contains("ran for over 0 s and was stopped"), "{e}");
        assert!(e.contains("check whether it left"), "{e}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        std::thread::sleep(std::time::Duration::from_millis(3500));
        assert!(!late.exists(), "what the command started was stopped with it");
        // a command that never reads what it is given, and writes much to its error output
        let e = send_within(
            "head -c 200000 /dev/zero >&2; exit 4",
            &vec![b'x'; 1 << 20],
            std::time::Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(e.contains("failed (exit status: 4)"), "{e}");
        // a command that exits leaving something in the background holding its output
        let started = std::time::Instant::now();
        send_within("sleep 4 & exit 0", b"x", std::time::Duration::from_secs(60)).unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn osc52_exact_bytes() {
        assert_eq!(osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
        assert_eq!(osc52("Grüße\n").as_bytes(), b"\x1b]52;c;R3LDvMOfZQo=\x07");
    }

    #[test]
    fn message_threads_and_encodes() {
        let m = Outgoing {
            from: Some("Acme Support <support@acme.example>".into()),
            to: Some("Zoë Quinn <zoe@customer.example>".into()),
            subject: "Re: Export fails — again".into(),
            body: "Hi Zoë,\n\nFixed.\n".into(),
            in_reply_to: Some("<abc123@customer.example>".into()),
            message_id: "tend-1-1@acme.example".into(),
            date: 1_795_000_000,
        };
        let text = String::from_utf8(m.to_rfc5322().unwrap()).unwrap();
        assert!(text.contains("In-Reply-To: <abc123@customer.example>\r\n"), "{text}");
        assert!(text.contains("References: <abc123@customer.example>\r\n"));
        assert!(text.contains("Message-ID: <tend-1-1@acme.example>\r\n"));
        assert!(
            text.contains("From: \"Acme Support\" <support@acme.example>\r\n"),
            "{text}"
        );
        assert!(text.contains("<zoe@customer.example>"));
        assert!(
            text.contains("Subject: =?utf-8?"),
            "non-ASCII subject is encoded: {text}"
        );
        assert!(text.contains("Date: "));
        assert!(text.contains("\r\n\r\n"), "headers end with a blank line");
    }

    #[test]
    fn message_ids() {
        let id = new_message_id(Some("Acme <support@acme.example>"), 5);
        assert!(id.starts_with("tend-5-") && id.ends_with("@acme.example"), "{id}");
        assert!(new_message_id(None, 5).ends_with("@tend.localhost"));
    }

    #[test]
    fn send_command_gets_the_message_and_failures_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.eml");
        send_with(&format!("cat > '{}'", out.display()), b"Subject: x\r\n\r\nbody\r\n").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "Subject: x\n\nbody\n");
        let e = send_with("echo 'no route to host' >&2; exit 3", b"x").unwrap_err();
        assert!(e.contains("failed") && e.contains("no route to host"), "{e}");
    }

    #[test]
    fn files_are_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/reply.eml");
        write_file(&p, b"one").unwrap();
        assert!(write_file(&p, b"two").unwrap_err().contains("cannot write"));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
    }
}
