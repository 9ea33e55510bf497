//! `numgate users`: the console's operator and tenant users. A password is read
//! from standard input (one line), never taken as an argument, and never shown.

use std::io::BufRead;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_server::console::users;
use numgate_server::open_data_dir;
use numgate_store::UserRole;
use serde_json::json;

use crate::Global;

#[derive(Clone, Copy, ValueEnum)]
pub enum Role {
    /// Sees every tenant.
    Operator,
    /// Sees one tenant (--tenant).
    Tenant,
}

#[derive(Subcommand)]
pub enum UsersCmd {
    /// Create a console user; the password is the first line of standard input.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// The tenant of a tenant user (it must exist).
        #[arg(long)]
        tenant: Option<String>,
        /// Read the password from standard input (what happens anyway: there is
        /// no way to give it as an argument, where `ps` and shell history see it).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List console users (never their password hashes).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: their sessions end at once and sign-in is refused.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
}

pub async fn run(global: &Global, cmd: UsersCmd) -> anyhow::Result<()> {
    let data = open_data_dir(&global.load()?).await?;
    let store = data.store.as_ref();
    match cmd {
        UsersCmd::Create {
            name,
            role,
            tenant,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let role = match role {
                Role::Operator => UserRole::Operator,
                Role::Tenant => UserRole::Tenant,
            };
            let user = users::create(
                store,
                &name,
                role,
                tenant.as_deref(),
                &password,
                SystemClock.now_millis(),
            )
            .await?;
            println!("created {} user {}", user.role.as_str(), user.name);
        }
        UsersCmd::List { json } => {
            let tenants = store.list_tenants().await?;
            let tenant_name = |id: Option<i64>| {
                id.and_then(|id| tenants.iter().find(|t| t.id == id))
                    .map(|t| t.name.clone())
            };
            let now = SystemClock.now_millis();
            let list = store.list_users().await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|u| {
                        json!({
                            "Name": u.name,
                            "Role": u.role.as_str(),
                            "Tenant": tenant_name(u.tenant_id),
                            "Enabled": u.enabled,
                            "Locked": u.is_locked(now),
                            "CreateTime": when(u.created_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&json!(rows))?);
            } else {
                println!(
                    "{:<24} {:<9} {:<16} {:<9} CREATED",
                    "NAME", "ROLE", "TENANT", "STATE"
                );
                for u in &list {
                    let state = match (u.enabled, u.is_locked(now)) {
                        (false, _) => "disabled",
                        (true, true) => "locked",
                        (true, false) => "active",
                    };
                    println!(
                        "{:<24} {:<9} {:<16} {:<9} {}",
                        u.name,
                        u.role.as_str(),
                        tenant_name(u.tenant_id).unwrap_or_else(|| "-".into()),
                        state,
                        when(u.created_at)
                    );
                }
            }
        }
        UsersCmd::Disable { name } => {
            if !store.set_user_enabled(&name, false).await? {
                bail!("no user named {name}");
            }
            println!("disabled {name}");
        }
        UsersCmd::Enable { name } => {
            if !store.set_user_enabled(&name, true).await? {
                bail!("no user named {name}");
            }
            println!("enabled {name}");
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input (give it as one line: e.g. from a file or a secret store)");
    }
    Ok(password)
}

fn when(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
