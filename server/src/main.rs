use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = server::Config::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roadcall could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(server::run(config));
    // The drain is over (or timed out): what is left (a password being hashed, a session clean-up) is not
    // waited for, so the process exits within the drain timeout.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("roadcall could not start: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
