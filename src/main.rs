use clap::Parser;
use std::process::ExitCode;
use tend::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.raw && matches!(cli.command, None | Some(cli::Command::Screen { .. })) {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--raw prints stored text as it is; the cockpit and `tend screen` draw text, always cleaned \
                 (use --raw with a command that prints, such as `tend tickets show`)",
            )
            .exit();
    }
    tend::output::set_raw(cli.raw);
    let result = match &cli.command {
        Some(command) => cli::run(&cli, command),
        None => tend::tui::run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // a reader that went away (`tend tickets list | head`) is not an error
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) if e.downcast_ref::<tend::cli_import::PartialImport>().is_some() => {
            tend::output::note(&format!("tend: {e}"));
            ExitCode::from(3)
        }
        Err(e) => {
            // one clear sentence: the outermost message, then its causes on the same line
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            tend::output::note(&format!("tend: {msg}"));
            ExitCode::from(1)
        }
    }
}
