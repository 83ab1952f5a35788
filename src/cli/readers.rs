//! `inspectd readers`: lists PC/SC readers and whether a card is present.

use std::process::ExitCode;

use inspectd::transport::pcsc::Pcsc;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Keep running and print reader and card events (one line, or one JSON object, each).
    #[arg(long)]
    watch: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    if args.watch {
        inspectd::transport::pcsc::watch(std::time::Duration::from_secs(1), &|| true, &mut |ev| {
            if args.json {
                println!("{}", serde_json::to_string(&ev).unwrap_or_default());
            } else {
                println!("{ev:?}");
            }
            true
        });
        return ExitCode::SUCCESS;
    }
    let readers = Pcsc::establish().and_then(|p| p.readers());
    match readers {
        Ok(r) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else if r.is_empty() {
                println!("no readers");
            } else {
                for x in &r {
                    let card = if x.card_present {
                        "card present"
                    } else {
                        "empty"
                    };
                    println!("{:<40} {card}", x.name);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inspectd readers: {e} (is pcscd running?)");
            ExitCode::from(2)
        }
    }
}
