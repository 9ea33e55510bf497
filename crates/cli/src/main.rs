//! The `numgate` command: run the server and administer a data directory.
#![forbid(unsafe_code)]

/// `println!` for command output: a closed pipe (`numgate … | head`) ends the
/// command quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

mod admin;
mod bench;
mod bench_smpp;
mod bench_stats;
mod billing;
mod device;
mod policy;
mod serve;
mod sim;
mod sms_provider_sim;
mod smsc_sim;
mod users;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use numgate_server::Config;

#[derive(Parser)]
#[command(
    name = "numgate",
    version,
    about = "Self-hosted phone number verification, compatible with Alibaba Cloud Dypnsapi"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args, Clone)]
pub struct Global {
    /// TOML configuration file (env NUMGATE_CONFIG).
    #[arg(long, global = true, env = "NUMGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the embedded database and the master key [default: ./numgate-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database: a SQLite file, or a postgres:// URL shared by several nodes
    /// (config key database_url, env NUMGATE_DATABASE_URL) [default: numgate.db in the data directory].
    #[arg(long, global = true)]
    database: Option<String>,
}

impl Global {
    /// Defaults, the file, the environment, then these flags.
    pub fn load(&self) -> anyhow::Result<Config> {
        let mut cfg = Config::load(self.config.as_deref())?;
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(db) = &self.database {
            cfg.database_url = Some(db.clone());
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// AccessKeys: create, list, disable, enable.
    #[command(subcommand)]
    Keys(admin::KeysCmd),
    /// Console users (operator and tenant): create, list, disable, enable.
    #[command(subcommand)]
    Users(users::UsersCmd),
    /// SMS signatures and templates of a tenant.
    #[command(subcommand)]
    Sms(admin::SmsCmd),
    /// Messages delivered to the development outbox, newest first.
    Outbox(admin::OutboxArgs),
    /// Run the carrier simulator (China Mobile, Unicom, Telecom and a CAMARA
    /// operator) with the subscriber table of --config FILE.
    CarrierSim(sim::SimArgs),
    /// Run the simulated HTTP SMS provider (signed sends, signed receipts).
    SmsProviderSim(sms_provider_sim::SmsProviderSimArgs),
    /// Play a phone on a bearer address: one-click or number check (printing
    /// the AccessToken its app would hand its backend), the H5 flows, or a
    /// Fusion-Auth scene (printing the VerifyToken).
    #[command(subcommand)]
    Device(device::DeviceCmd),
    /// Bring the database's schema up to this build's (needed for PostgreSQL,
    /// whose nodes never migrate on their own).
    Migrate,
    /// Billing: resource plans (list, add) and monthly bills.
    #[command(subcommand)]
    Billing(billing::BillingCmd),
    /// Fusion-Auth policy graphs: a scene's default, and the dry run of an attempt.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Signed-request load generator: req/s and latency of the Open API, also
    /// against a no-op server for the machine's ceiling.
    Bench(bench::BenchArgs),
    /// Run the SMSC simulator: an SMPP 3.4 server (--smpp-listen) with a JSON
    /// control API (--control-listen); prints both addresses on stderr.
    SmscSim(smsc_sim::SmscSimArgs),
    /// submit_sm throughput of the SMPP sender against `numgate smsc-sim`
    /// (started here as a separate process) or --smsc ADDR.
    BenchSmpp(bench_smpp::BenchSmppArgs),
    /// Statistics queries over many recorded attempts, on the store directly:
    /// records rollups (10 million attempts by default) then times 30-day queries.
    BenchStats(bench_stats::BenchStatsArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("numgate: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(&cli.global, args).await,
            Command::Keys(cmd) => admin::keys(&cli.global, cmd).await,
            Command::Sms(cmd) => admin::sms(&cli.global, cmd).await,
            Command::Users(cmd) => users::run(&cli.global, cmd).await,
            Command::Outbox(args) => admin::outbox(&cli.global, args).await,
            Command::Migrate => admin::migrate(&cli.global).await,
            Command::CarrierSim(args) => sim::run(&cli.global, args).await,
            Command::SmsProviderSim(args) => sms_provider_sim::run(args).await,
            Command::Device(cmd) => device::run(cmd).await,
            Command::Bench(args) => bench::run(args).await,
            Command::SmscSim(args) => smsc_sim::run(args).await,
            Command::BenchSmpp(args) => bench_smpp::run(args).await,
            Command::BenchStats(args) => bench_stats::run(args).await,
            Command::Policy(cmd) => policy::run(&cli.global, cmd).await,
            Command::Billing(cmd) => billing::run(&cli.global, cmd).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("numgate: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What [`outln!`] does: one line on stdout; a reader that went away ends the
/// process with success (it has all it wanted), any other error with failure.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("numgate: cannot write the output: {e}");
        std::process::exit(1);
    }
}
