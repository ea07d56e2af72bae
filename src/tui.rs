//! The terminal: init and restore on every exit path, the input thread, the database worker,
//! the slow tick and signals; and headless rendering for `tend screen`.

use crate::app::data::{Cmd, Reply, Worker, load_account, load_snapshot, load_ticket, settle};
use crate::app::keys::KeyMap;
use crate::app::{App, Msg, View};
use crate::cli::{Cli, actor_name, db_path};
use crate::config::Config;
use crate::store::Store;
use crate::ui::{self, theme::Theme};
use anyhow::{Context as _, Result};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

fn build_app(config: &Config, db_label: String, actor: String, now: i64) -> Result<App> {
    let keys = KeyMap::with_overrides(&config.keys).map_err(|e| anyhow::anyhow!("the configuration's [keys]: {e}"))?;
    Ok(App::new(keys, config.health, config.sla, db_label, actor, now)
        .with_saved_views(config.views.clone())
        .map_err(|e| anyhow::anyhow!("the configuration's [[views]]: {e}"))?
        .with_responses(templates(), config.responses.clone()))
}

fn templates() -> crate::responses::TemplateSet {
    crate::responses::TemplateSet::load(crate::config::templates_dir().as_deref())
}

/// Open the cockpit. Everything that can fail before the terminal is taken fails here, as a
/// normal error on a normal terminal.
pub fn run(cli: &Cli) -> Result<()> {
    let config = Config::load()?;
    let path = db_path(cli);
    let actor = actor_name(cli);
    let store = Store::open(&path, &actor)?;
    let now = cli.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let mut app = build_app(&config, path.display().to_string(), actor, now)?;
    app.read_only = store.read_only().map(str::to_string);
    app.warning = crate::store::files::exposure_warning(&path);
    if let Some(w) = &app.warning {
        // also on the terminal the cockpit returns to
        crate::output::note(&format!("tend: warning: {w}"));
    }
    if let Some(e) = app.templates.errors.first() {
        let more = app.templates.errors.len() - 1;
        app.status = format!(
            "A template was skipped: {e}{}",
            if more > 0 {
                format!(" (and {more} more; `tend templates list` shows them)")
            } else {
                String::new()
            }
        );
        app.status_is_error = true;
    }
    let worker = Worker::new(store, config.health, config.sla, cli.now)
        .with_responses(templates(), config.responses.clone())
        .with_import(config.import.clone());
    // the daily review's read and the first open of a day's recompute run on a connection of
    // their own, so the lists never wait behind them (WAL readers neither wait for nor block
    // writers); every write transaction takes the write lock as it begins, so the two workers'
    // writes wait for each other within the busy timeout instead of failing
    let slow = Worker::new(Store::open(&path, &app.actor)?, config.health, config.sla, cli.now)
        .with_responses(templates(), config.responses.clone())
        .with_import(config.import.clone())
        .slow_lane();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let mut terminal = ratatui::try_init().context("cannot take over the terminal")?;
    // pasted text comes as one event, not as keys (best effort: a terminal without it sends keys)
    let _ = ratatui::crossterm::execute!(std::io::stdout(), event::EnableBracketedPaste);
    let result = rt.block_on(event_loop(&mut terminal, app, [worker, slow], cli.now));
    let _ = ratatui::crossterm::execute!(std::io::stdout(), event::DisableBracketedPaste);
    ratatui::restore();
    // what could not be saved, said on the terminal the cockpit leaves
    if let Ok(Some(last)) = &result {
        crate::output::note(&format!("tend: {last}"));
    }
    result.map(|_| ())
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut app: App,
    workers: [Worker; 2],
    fixed_now: Option<i64>,
) -> Result<Option<String>> {
    let theme = Theme::from_env();
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<Cmd>();
    let (slow_tx, slow_rx) = std::sync::mpsc::channel::<Cmd>();
    let [worker, slow] = workers;

    // the slow lane: the daily review's read, and the first open of a day's recompute (its
    // write transaction begins IMMEDIATE, as every write does, so the other worker's writes
    // wait for it within the busy timeout rather than fail, and the lists never wait at all)
    let reply_tx = tx.clone();
    std::thread::spawn(move || {
        let mut worker = slow;
        while let Ok(first) = slow_rx.recv() {
            let mut batch = vec![first];
            batch.extend(slow_rx.try_iter());
            let last_review = batch.iter().rposition(|c| matches!(c, Cmd::LoadReview));
            for (i, cmd) in batch.into_iter().enumerate() {
                if matches!(cmd, Cmd::LoadReview) && last_review != Some(i) {
                    continue;
                }
                for r in worker.execute(cmd) {
                    if reply_tx.send(Msg::Reply(r)).is_err() {
                        return;
                    }
                }
            }
        }
    });

    // the database worker: all SQL happens here, off the render path
    let reply_tx = tx.clone();
    std::thread::spawn(move || {
        let mut worker = worker;
        while let Ok(first) = cmd_rx.recv() {
            // take what else is waiting: of several window requests for one list (keys typed
            // faster than answers), only the newest is answered; the app waits for that one
            let mut batch = vec![first];
            batch.extend(cmd_rx.try_iter());
            let last_accounts = batch.iter().rposition(|c| matches!(c, Cmd::AccountList(_)));
            let last_tickets = batch.iter().rposition(|c| matches!(c, Cmd::TicketList(_)));
            // of several saves of one draft (typing faster than the disk, or waiting behind
            // another's lock), only the newest is written: it holds all the typing
            let newer_draft = |i: usize, key: &str| {
                batch[i + 1..]
                    .iter()
                    .any(|c| matches!(c, Cmd::SaveDraft(d) if d.key == key))
            };
            let superseded: Vec<bool> = batch
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Cmd::AccountList(_) => last_accounts != Some(i),
                    Cmd::TicketList(_) => last_tickets != Some(i),
                    Cmd::SaveDraft(d) => newer_draft(i, &d.key),
                    _ => false,
                })
                .collect();
            for (i, cmd) in batch.into_iter().enumerate() {
                let superseded = superseded[i];
                if superseded {
                    continue;
                }
                for r in worker.handle(cmd) {
                    if reply_tx.send(Msg::Reply(r)).is_err() {
                        return;
                    }
                }
            }
        }
    });

    // terminal input; paused while an external editor has the terminal
    let input_tx = tx.clone();
    let pause = std::sync::Arc::new(Pause::default());
    let input_pause = pause.clone();
    std::thread::spawn(move || {
        loop {
            if input_pause.wanted.load(Ordering::SeqCst) {
                input_pause.idle.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            input_pause.idle.store(false, Ordering::SeqCst);
            // a long wait: crossterm's /dev/tty source spins through the last millisecond of
            // every wait (it rounds the time left down to whole milliseconds), so the longer
            // the wait the less it spins; an external editor waits at most this long for it
            match event::poll(Duration::from_millis(250)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => return,
            }
            if input_pause.wanted.load(Ordering::SeqCst) {
                continue;
            }
            let msg = match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Ok(Event::Paste(text)) => Msg::Paste(text),
                Ok(Event::Resize(..)) => Msg::Resize,
                Ok(_) => continue,
                Err(_) => return,
            };
            if input_tx.send(msg).is_err() {
                return;
            }
        }
    });

    #[cfg(unix)]
    let (mut term, mut hup) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate())?, signal(SignalKind::hangup())?)
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let _ = cmd_tx.send(Cmd::LoadAll);
    draw(terminal, &mut app, &theme)?;
    loop {
        let msg = tokio::select! {
            Some(m) = rx.recv() => m,
            _ = tick.tick() => Msg::Tick(fixed_now.unwrap_or_else(|| chrono::Utc::now().timestamp())),
            _ = term.recv() => break,
            _ = hup.recv() => break,
        };
        let mut pending = vec![msg];
        // take whatever else is already waiting before drawing: one frame for a burst
        while let Some(m) = pending.pop() {
            for cmd in app.update(m) {
                match cmd {
                    Cmd::Clipboard(text) => copy_to_clipboard(terminal, &text),
                    Cmd::ExternalEditor { key, text } => {
                        let result = external_editor(terminal, &pause, &text);
                        pending.push(Msg::EditorDone { key, result });
                    }
                    Cmd::LoadReview | Cmd::DailyRecompute => {
                        let _ = slow_tx.send(cmd);
                    }
                    other => {
                        let _ = cmd_tx.send(other);
                    }
                }
            }
            if pending.is_empty() {
                if let Ok(m) = rx.try_recv() {
                    pending.push(m);
                }
            }
        }
        if app.quit {
            break;
        }
        draw(terminal, &mut app, &theme)?;
    }
    // the worker's last word: changes still waiting for another's lock get one more try, and
    // the text of those that cannot be made goes to a file (it waits at most one attempt for
    // the lock; a request it is in the middle of gets a few seconds to end)
    let _ = cmd_tx.send(Cmd::Leave);
    // a reply on its way out is waited for, so that it is recorded (a send command is
    // stopped after its own limit)
    let wait = if app.reply_in_flight() {
        app.status = "Quitting once your reply has gone out…".into();
        app.status_is_error = false;
        draw(terminal, &mut app, &theme)?;
        crate::deliver::SEND_TIMEOUT + Duration::from_secs(5)
    } else {
        Duration::from_secs(5)
    };
    let last = tokio::time::timeout(wait, async {
        while let Some(m) = rx.recv().await {
            if let Msg::Reply(crate::app::data::Reply::Left(last)) = m {
                return last;
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    Ok(last)
}

/// Lets the main loop stop the input thread reading while another program has the terminal.
#[derive(Default)]
struct Pause {
    wanted: AtomicBool,
    idle: AtomicBool,
}

/// OSC 52: the terminal (through SSH and tmux) puts the text on the clipboard. What a
/// terminal could act on is left out first: the text may quote a customer, and it will be
/// pasted somewhere.
fn copy_to_clipboard(terminal: &mut ratatui::DefaultTerminal, text: &str) {
    use std::io::Write;
    let text = crate::text::terminal_safe(text);
    let _ = terminal
        .backend_mut()
        .write_all(crate::deliver::osc52(&text).as_bytes());
    let _ = terminal.backend_mut().flush();
}

/// Suspend the cockpit, edit the text in $VISUAL or $EDITOR (vi when neither is set), and
/// come back. The text is also kept as a draft throughout, so a crash here loses nothing.
fn external_editor(terminal: &mut ratatui::DefaultTerminal, pause: &Pause, text: &str) -> Result<String, String> {
    use std::io::Write;
    pause.wanted.store(true, Ordering::SeqCst);
    for _ in 0..100 {
        if pause.idle.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let path = std::env::temp_dir().join(format!("tend-reply-{}-{}.txt", std::process::id(), fastrand::u32(..)));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&path)
            .map_err(|e| format!("Cannot write a file for the editor: {e}."))?;
        f.write_all(text.as_bytes())
            .map_err(|e| format!("Cannot write a file for the editor: {e}."))?;
        drop(f);
        leave_screen();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status();
        let back = std::fs::read_to_string(&path);
        match status {
            Ok(s) if s.success() => back.map_err(|e| format!("Cannot read the edited text back: {e}.")),
            Ok(s) => Err(format!("The editor `{editor}` exited with {s}.")),
            Err(e) => Err(format!("Cannot start the editor `{editor}`: {e}.")),
        }
    })();
    let _ = std::fs::remove_file(&path);
    enter_screen();
    let _ = terminal.clear();
    pause.wanted.store(false, Ordering::SeqCst);
    result
}

fn leave_screen() {
    use ratatui::crossterm::{execute, terminal};
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        ratatui::crossterm::event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

fn enter_screen() {
    use ratatui::crossterm::{execute, terminal};
    let _ = terminal::enable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        ratatui::crossterm::event::EnableBracketedPaste
    );
}

fn draw<B: ratatui::backend::Backend>(terminal: &mut Terminal<B>, app: &mut App, theme: &Theme) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size()?;
    app.page = size.height.saturating_sub(6) as usize;
    terminal.draw(|f| ui::view(app, theme, f))?;
    Ok(())
}

/// Render a view headlessly, by the same code, as plain text.
pub fn screen(cli: &Cli, view: View, width: u16, height: u16, select: Option<i64>) -> Result<String> {
    let config = Config::load()?;
    let path = db_path(cli);
    let actor = actor_name(cli);
    let store = Store::open(&path, &actor)?;
    let now = cli.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let mut app = build_app(&config, path.display().to_string(), actor, now)?;
    app.read_only = store.read_only().map(str::to_string);
    render_view(&store, &mut app, view, width, height, select)
}

/// Load what the view shows, synchronously, and render it to text.
pub fn render_view(
    store: &Store,
    app: &mut App,
    view: View,
    width: u16,
    height: u16,
    select: Option<i64>,
) -> Result<String> {
    let now = app.now;
    app.welcome_done = true;
    let cmds = app.update(Msg::Reply(Reply::Snapshot(Box::new(load_snapshot(store, now)?))));
    app.mode = crate::app::Mode::Normal;
    app.view = view;
    match (view, select) {
        (View::Accounts, Some(id)) => app.select_account_id(id),
        (View::Tickets, Some(id)) => app.select_ticket_id(id),
        _ => {}
    }
    let mut cmds = cmds;
    cmds.extend(app.list_requests());
    settle(store, app, cmds)?;
    if let Some(id) = select {
        match view {
            View::Accounts => {
                if app.selected_account().map(|a| a.id) != Some(id) {
                    anyhow::bail!("account {id} is not in the Accounts list");
                }
            }
            View::Tickets => {
                if app.selected_ticket().map(|t| t.id) != Some(id) {
                    anyhow::bail!("ticket {id} is not in the open queue");
                }
            }
            View::Investigations => {
                let pos = app
                    .investigation_rows
                    .iter()
                    .position(|i| app.data.investigations[*i].id == id);
                app.investigation_sel = pos.ok_or_else(|| anyhow::anyhow!("there is no investigation {id}"))?;
            }
            View::Today | View::Metrics => {
                anyhow::bail!("--select applies to accounts, tickets and investigations")
            }
        }
        app.detail_open = true;
    }
    // load the detail the selection shows, as the worker would
    if let Some(a) = app.selected_account().map(|a| a.id).filter(|_| view == View::Accounts) {
        app.update(Msg::Reply(Reply::Account(Box::new(load_account(
            store, a, now, &app.rules,
        )?))));
    }
    if let Some(t) = app.selected_ticket().map(|t| t.id).filter(|_| view == View::Tickets) {
        app.update(Msg::Reply(Reply::Ticket(Box::new(load_ticket(store, t)?))));
    }
    if view == View::Metrics {
        let d = store.dashboard(&app.rules, app.metrics_segment, app.metrics_days, now)?;
        app.update(Msg::Reply(Reply::Metrics(Box::new(d))));
    }
    if view == View::Today {
        match app.selected_review().map(|r| r.target) {
            Some(crate::app::review::Target::Ticket(t)) => {
                app.update(Msg::Reply(Reply::Ticket(Box::new(load_ticket(store, t)?))));
            }
            Some(crate::app::review::Target::Account(a)) => {
                app.update(Msg::Reply(Reply::Account(Box::new(load_account(
                    store, a, now, &app.rules,
                )?))));
            }
            _ => {}
        }
    }
    Ok(render_to_text(app, &Theme::mono(), width, height))
}

/// Draw the app on an in-memory terminal and return its text, one line per row.
pub fn render_to_text(app: &mut App, theme: &Theme, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => return format!("cannot render: {e}\n"),
    };
    app.page = height.saturating_sub(6) as usize;
    if let Err(e) = terminal.draw(|f| ui::view(app, theme, f)) {
        return format!("cannot render: {e}\n");
    }
    buffer_text(terminal.backend().buffer())
}

pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            x += (sym.width() as u16).max(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
