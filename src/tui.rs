//! The cockpit. (Built in the cockpit issue; until then it says how to get going.)

use crate::cli::Cli;

pub fn run(cli: &Cli) -> anyhow::Result<()> {
    let ctx = crate::cli::open(cli)?;
    if ctx.store.is_empty()? {
        println!(
            "The database is empty. Load sample data with `tend demo`, then list accounts with `tend accounts list`."
        );
    } else {
        println!("The cockpit is not built yet; try `tend accounts list` or `tend tickets list`.");
    }
    Ok(())
}
