//! The terminal: init and restore on every exit path, the input thread, the database worker,
//! the slow tick and signals; and headless rendering for `tend screen`.

use crate::app::data::{Cmd, Reply, Worker, load_account, load_snapshot, load_ticket};
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
use std::time::Duration;
use tokio::sync::mpsc;

fn build_app(config: &Config, db_label: String, actor: String, now: i64) -> Result<App> {
    let keys = KeyMap::with_overrides(&config.keys).map_err(|e| anyhow::anyhow!("the configuration's [keys]: {e}"))?;
    App::new(keys, config.health, config.sla, db_label, actor, now)
        .with_saved_views(config.views.clone())
        .map_err(|e| anyhow::anyhow!("the configuration's [[views]]: {e}"))
}

/// Open the cockpit. Everything that can fail before the terminal is taken fails here, as a
/// normal error on a normal terminal.
pub fn run(cli: &Cli) -> Result<()> {
    let config = Config::load()?;
    let path = db_path(cli);
    let actor = actor_name(cli);
    let store = Store::open(&path, &actor)?;
    let now = cli.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let app = build_app(&config, path.display().to_string(), actor, now)?;
    let worker = Worker::new(store, config.health, config.sla, cli.now);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let mut terminal = ratatui::try_init().context("cannot take over the terminal")?;
    let result = rt.block_on(event_loop(&mut terminal, app, worker, cli.now));
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut app: App,
    worker: Worker,
    fixed_now: Option<i64>,
) -> Result<()> {
    let theme = Theme::from_env();
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<Cmd>();

    // the database worker: all SQL happens here, off the render path
    let reply_tx = tx.clone();
    std::thread::spawn(move || {
        let mut worker = worker;
        while let Ok(cmd) = cmd_rx.recv() {
            for r in worker.execute(cmd) {
                if reply_tx.send(Msg::Reply(r)).is_err() {
                    return;
                }
            }
        }
    });

    // terminal input
    let input_tx = tx.clone();
    std::thread::spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
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
        for cmd in app.update(msg) {
            let _ = cmd_tx.send(cmd);
        }
        // take whatever else is already waiting before drawing: one frame for a burst
        while let Ok(m) = rx.try_recv() {
            for cmd in app.update(m) {
                let _ = cmd_tx.send(cmd);
            }
        }
        if app.quit {
            break;
        }
        draw(terminal, &mut app, &theme)?;
    }
    Ok(())
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
    app.update(Msg::Reply(Reply::Snapshot(Box::new(load_snapshot(store, now)?))));
    app.mode = crate::app::Mode::Normal;
    app.view = view;
    if let Some(id) = select {
        match view {
            View::Accounts => {
                let pos = app.account_rows.iter().position(|i| app.data.accounts[*i].id == id);
                app.account_sel = pos.ok_or_else(|| anyhow::anyhow!("account {id} is not in the Accounts list"))?;
            }
            View::Tickets => {
                let pos = app.ticket_rows.iter().position(|i| app.data.tickets[*i].id == id);
                app.ticket_sel = pos.ok_or_else(|| anyhow::anyhow!("ticket {id} is not in the open queue"))?;
            }
            View::Today => anyhow::bail!("--select applies to accounts and tickets"),
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
