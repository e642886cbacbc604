// Hide the console window of the GUI on Windows release builds; the CLI still prints.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    match bucketdesk::cli::parse() {
        bucketdesk::cli::Invocation::Gui => bucketdesk::app::run(),
        bucketdesk::cli::Invocation::Command(cli) => bucketdesk::cli::run(cli),
    }
}
