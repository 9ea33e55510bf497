//! Administration commands that work on a data directory, also while a server
//! runs on it: keys, SMS catalog, outbox.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_server::service::keys;
use numgate_server::{open_data_dir, DataDir, DEFAULT_TENANT};
use numgate_store::Tenant;
use serde_json::json;

use crate::Global;

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create an AccessKey; the secret is shown only now.
    Create {
        /// Tenant to create it for (created if new).
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// List AccessKeys (never their secrets).
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Disable a key: requests signed with it are refused at once.
    Disable { id: String },
    /// Enable a disabled key.
    Enable { id: String },
}

#[derive(Subcommand)]
pub enum SmsCmd {
    /// The tenant's SMS signatures.
    Signatures {
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// The tenant's SMS templates.
    Templates {
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct OutboxArgs {
    /// Only messages to this number (with or without country code 86).
    #[arg(long)]
    phone: Option<String>,
    /// How many messages at most.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

async fn open(global: &Global) -> anyhow::Result<DataDir> {
    open_data_dir(&global.load()?).await
}

async fn tenant(data: &DataDir, name: &str) -> anyhow::Result<Tenant> {
    Ok(data
        .store
        .ensure_tenant(name, SystemClock.now_millis())
        .await?)
}

fn when(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn keys(global: &Global, cmd: KeysCmd) -> anyhow::Result<()> {
    let data = open(global).await?;
    match cmd {
        KeysCmd::Create { tenant: name, json } => {
            let t = tenant(&data, &name).await?;
            let issued = keys::create(
                data.store.as_ref(),
                &data.master_key.secret_box(),
                t.id,
                SystemClock.now_millis(),
            )
            .await?;
            if json {
                print_json(&json!({
                    "AccessKeyId": issued.id,
                    "AccessKeySecret": issued.secret.as_str(),
                    "Tenant": t.name,
                }))?;
            } else {
                println!("AccessKeyId:     {}", issued.id);
                println!("AccessKeySecret: {}", issued.secret.as_str());
                println!("Tenant:          {}", t.name);
                println!("The secret is shown only now; keep it safe.");
            }
        }
        KeysCmd::List { tenant: name, json } => {
            let filter = match name {
                Some(n) => Some(
                    data.store
                        .find_tenant(&n)
                        .await?
                        .with_context(|| format!("no tenant named {n}"))?
                        .id,
                ),
                None => None,
            };
            let tenants = data.store.list_tenants().await?;
            let tenant_name = |id: i64| {
                tenants
                    .iter()
                    .find(|t| t.id == id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default()
            };
            let list = data.store.list_access_keys(filter).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|k| {
                        json!({
                            "AccessKeyId": k.id,
                            "Tenant": tenant_name(k.tenant_id),
                            "Status": if k.enabled { "Active" } else { "Inactive" },
                            "CreateTime": when(k.created_at),
                            "LastUsedTime": k.last_used_at.map(when),
                        })
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else {
                println!(
                    "{:<26} {:<12} {:<9} {:<21} LAST USED",
                    "ACCESS KEY ID", "TENANT", "STATUS", "CREATED"
                );
                for k in &list {
                    println!(
                        "{:<26} {:<12} {:<9} {:<21} {}",
                        k.id,
                        tenant_name(k.tenant_id),
                        if k.enabled { "active" } else { "disabled" },
                        when(k.created_at),
                        k.last_used_at.map(when).unwrap_or_else(|| "never".into())
                    );
                }
            }
        }
        KeysCmd::Disable { id } => set_enabled(&data, &id, false).await?,
        KeysCmd::Enable { id } => set_enabled(&data, &id, true).await?,
    }
    Ok(())
}

async fn set_enabled(data: &DataDir, id: &str, enabled: bool) -> anyhow::Result<()> {
    if !data.store.set_access_key_enabled(id, enabled).await? {
        bail!("no AccessKey {id}");
    }
    println!("{id} {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

pub async fn sms(global: &Global, cmd: SmsCmd) -> anyhow::Result<()> {
    let data = open(global).await?;
    match cmd {
        SmsCmd::Signatures { tenant: name, json } => {
            let t = tenant(&data, &name).await?;
            let list = data.store.list_signatures(t.id).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| json!({"SignName": s.name, "Complimentary": s.complimentary, "Approved": s.approved}))
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for s in &list {
                    let kind = if s.complimentary {
                        "complimentary"
                    } else {
                        "custom"
                    };
                    let status = if s.approved { "approved" } else { "pending" };
                    println!("{}\t{kind}\t{status}", s.name);
                }
            }
        }
        SmsCmd::Templates { tenant: name, json } => {
            let t = tenant(&data, &name).await?;
            let list = data.store.list_templates(t.id).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| {
                        json!({"TemplateCode": s.code, "TemplateName": s.name, "TemplateContent": s.content,
                               "Complimentary": s.complimentary, "Approved": s.approved})
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for s in &list {
                    let kind = if s.complimentary {
                        "complimentary"
                    } else {
                        "custom"
                    };
                    println!("{}\t{}\t{kind}\t{}", s.code, s.name, s.content);
                }
            }
        }
    }
    Ok(())
}

pub async fn outbox(global: &Global, args: OutboxArgs) -> anyhow::Result<()> {
    let data = open(global).await?;
    let phone = args.phone.map(|p| {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 11 && digits.starts_with('1') {
            format!("86{digits}")
        } else {
            digits
        }
    });
    let list = data.store.list_outbox(phone.as_deref(), args.limit).await?;
    let sealer = data.master_key.secret_box();
    let text = |m: &numgate_store::OutboxEntry| {
        sealer
            .open_string(&m.sealed_text)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| "(cannot be opened with this master key)".into())
    };
    if args.json {
        let rows: Vec<_> = list
            .iter()
            .map(|m| json!({"Phone": m.phone, "Text": text(m), "Time": when(m.created_at), "Status": m.status, "BizId": m.biz_id}))
            .collect();
        print_json(&json!(rows))?;
    } else {
        for m in &list {
            println!(
                "{}  +{}  {}  {}",
                when(m.created_at),
                m.phone,
                m.status,
                text(m)
            );
        }
    }
    Ok(())
}

pub async fn migrate(global: &Global) -> anyhow::Result<()> {
    let cfg = global.load()?;
    let location = cfg.store_location();
    if let numgate_store::StoreLocation::Sqlite(_) = &location {
        std::fs::create_dir_all(&cfg.data_dir)?;
    }
    let store = numgate_store::AnyStore::open(&location, false)
        .await
        .with_context(|| format!("opening the database {location}"))?;
    let applied = store.migrate().await?;
    let status = store.schema_status().await?;
    if applied.is_empty() {
        println!(
            "{location}: the schema is up to date (version {})",
            status.current
        );
    } else {
        let versions: Vec<String> = applied.iter().map(i64::to_string).collect();
        println!(
            "{location}: applied migration(s) {}; the schema is at version {}",
            versions.join(", "),
            status.current
        );
    }
    Ok(())
}
