//! Administration commands that work on a data directory, also while a server
//! runs on it: keys, SMS catalog, outbox, inbound (MO) messages, blocked prefixes.

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_domain::{CountryCode, PhoneNumber};
use numgate_server::service::audit::Actor;
use numgate_server::service::keys;
use numgate_server::{open_data_dir, DataDir, DEFAULT_TENANT};
use numgate_store::{NewInbound, Tenant, DEFAULT_SERVICE_NUMBER};
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
    /// Record an upstream (MO) message as if the SMS centre had delivered it: the
    /// outbox channel's stand-in for a real SMSC, for the upstream-SMS step.
    Inbound(InboundArgs),
    /// Upstream (MO) messages received, newest first.
    Inbox {
        /// How many messages at most.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Number prefixes blocked by the anti-pumping guards, of every tenant.
    Blocks {
        #[arg(long)]
        json: bool,
    },
    /// Lift a prefix's block at once (its hourly count starts again from 0).
    Unblock {
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        /// Country calling code.
        #[arg(long, default_value = CountryCode::MAINLAND)]
        country: String,
        /// The prefix as `sms blocks` shows it: the national number without its
        /// last four digits.
        #[arg(long)]
        prefix: String,
    },
}

#[derive(Args)]
pub struct InboundArgs {
    /// The sending phone: national (13800138000), 86… or +86… (see --country).
    #[arg(long)]
    from: String,
    /// The message text: 1 to 70 printable characters.
    #[arg(long)]
    text: String,
    /// The service number the message was sent to.
    #[arg(long, default_value = DEFAULT_SERVICE_NUMBER)]
    to: String,
    /// Country calling code of --from.
    #[arg(long, default_value = CountryCode::MAINLAND)]
    country: String,
    #[arg(long)]
    json: bool,
}

/// The most characters of an upstream text: one SMS segment of UCS-2 (any text
/// in Chinese), so that a message is never split.
const MAX_INBOUND_CHARS: usize = 70;

/// The inbound message the arguments describe, or why they do not describe one.
/// Error messages never quote the text.
fn parse_inbound(args: &InboundArgs, received_at: i64) -> anyhow::Result<NewInbound> {
    let country =
        CountryCode::parse(&args.country).map_err(|e| anyhow!("--country: {}", e.reason))?;
    // People write numbers with spaces and dashes; the number itself is digits.
    let typed: String = args
        .from
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    let from = PhoneNumber::parse(&country, &typed).map_err(|e| anyhow!("--from: {}", e.reason))?;
    let to = args.to.trim();
    if !(3..=21).contains(&to.len()) || !to.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--to: a service number is 3 to 21 digits");
    }
    let text = &args.text;
    let chars = text.chars().count();
    if text.trim().is_empty() {
        bail!("--text: the message must not be empty");
    }
    if chars > MAX_INBOUND_CHARS {
        bail!("--text: at most {MAX_INBOUND_CHARS} characters (one SMS), got {chars}");
    }
    if text.chars().any(char::is_control) {
        bail!("--text: only printable characters (no line breaks or control characters)");
    }
    Ok(NewInbound {
        from: from.e164_digits(),
        to: to.to_owned(),
        text: text.clone(),
        received_at,
    })
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
            let issued = keys::create_audited(
                data.store.as_ref(),
                &data.master_key.secret_box(),
                t.id,
                &Actor::cli(),
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

/// Through the same service function as the console (audited), in the key's
/// own tenant.
async fn set_enabled(data: &DataDir, id: &str, enabled: bool) -> anyhow::Result<()> {
    let Some(key) = data.store.find_access_key(id).await? else {
        bail!("no AccessKey {id}");
    };
    let now = SystemClock.now_millis();
    let store = data.store.as_ref();
    if keys::set_enabled(store, key.tenant_id, id, enabled, &Actor::cli(), now)
        .await?
        .is_none()
    {
        bail!("no AccessKey {id}");
    }
    println!("{id} {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

pub async fn sms(global: &Global, cmd: SmsCmd) -> anyhow::Result<()> {
    match cmd {
        SmsCmd::Signatures { tenant: name, json } => {
            let data = open(global).await?;
            let t = tenant(&data, &name).await?;
            let list = data.store.list_signatures(t.id).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| json!({"SignName": s.name, "Complimentary": s.complimentary, "Approved": s.approved, "Status": s.status.as_str()}))
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for s in &list {
                    let kind = if s.complimentary {
                        "complimentary"
                    } else {
                        "custom"
                    };
                    println!("{}\t{kind}\t{}", s.name, s.status.as_str());
                }
            }
        }
        SmsCmd::Templates { tenant: name, json } => {
            let data = open(global).await?;
            let t = tenant(&data, &name).await?;
            let list = data.store.list_templates(t.id).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| {
                        json!({"TemplateCode": s.code, "TemplateName": s.name, "TemplateContent": s.content,
                               "Complimentary": s.complimentary, "Approved": s.approved, "Status": s.status.as_str()})
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
                    println!(
                        "{}\t{}\t{kind}\t{}\t{}",
                        s.code,
                        s.name,
                        s.status.as_str(),
                        s.content
                    );
                }
            }
        }
        SmsCmd::Blocks { json } => {
            let data = open(global).await?;
            let blocks = data
                .store
                .list_prefix_blocks(SystemClock.now_millis())
                .await?;
            let mut names = std::collections::HashMap::new();
            for t in data.store.list_tenants().await? {
                names.insert(t.id, t.name);
            }
            let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
            if json {
                let rows: Vec<_> = blocks
                    .iter()
                    .map(|b| {
                        json!({"Tenant": name(b.tenant_id), "CountryCode": b.country_code,
                               "Prefix": b.prefix, "BlockedTime": when(b.blocked_at),
                               "Until": when(b.until), "Throttled": b.throttled})
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for b in &blocks {
                    let why = if b.throttled {
                        "conversion throttle"
                    } else {
                        "prefix cap"
                    };
                    println!(
                        "{}\t+{} {}\tuntil {}\t{why}",
                        name(b.tenant_id),
                        b.country_code,
                        b.prefix,
                        when(b.until)
                    );
                }
            }
        }
        SmsCmd::Unblock {
            tenant: tenant_name,
            country,
            prefix,
        } => {
            let country =
                CountryCode::parse(&country).map_err(|e| anyhow!("--country: {}", e.reason))?;
            if prefix.is_empty() || prefix.len() > 17 || !prefix.bytes().all(|b| b.is_ascii_digit())
            {
                bail!("--prefix: the digits of a national number without its last four");
            }
            let data = open(global).await?;
            let t = data
                .store
                .find_tenant(&tenant_name)
                .await?
                .ok_or_else(|| anyhow!("no tenant {tenant_name}"))?;
            let lifted = data
                .store
                .lift_prefix_block(t.id, country.as_str(), &prefix, SystemClock.now_millis())
                .await?;
            if !lifted {
                bail!("no block of +{country} {prefix} for tenant {tenant_name}");
            }
            println!("lifted the block of +{country} {prefix} for tenant {tenant_name}");
        }
        SmsCmd::Inbound(args) => inbound(global, &args).await?,
        SmsCmd::Inbox { limit, json } => {
            let data = open(global).await?;
            let list = data.store.list_inbound(limit).await?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|m| {
                        json!({"Id": m.id, "From": m.from, "To": m.to, "Text": m.text,
                               "ReceivedTime": when(m.received_at),
                               "ConsumedTime": m.consumed_at.map(when)})
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for m in &list {
                    let state = if m.consumed_at.is_some() {
                        "used"
                    } else {
                        "unused"
                    };
                    println!(
                        "{}  +{} -> {}  {state}  {}",
                        when(m.received_at),
                        m.from,
                        m.to,
                        m.text
                    );
                }
            }
        }
    }
    Ok(())
}

/// `numgate sms inbound`: checks the arguments before anything is opened, so
/// that bad input changes nothing.
async fn inbound(global: &Global, args: &InboundArgs) -> anyhow::Result<()> {
    let message = parse_inbound(args, SystemClock.now_millis())?;
    let data = open(global).await?;
    let (from, to, received_at) = (
        message.from.clone(),
        message.to.clone(),
        message.received_at,
    );
    let id = data.store.record_inbound(message).await?;
    if args.json {
        print_json(&json!({"Id": id, "From": from, "To": to, "ReceivedTime": when(received_at)}))?;
    } else {
        println!("inbound message {id} from +{from} to {to} recorded");
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
