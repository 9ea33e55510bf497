//! `numgate smsc-sim`: the SMSC simulator (an SMPP 3.4 server with a control
//! API) as a process of its own.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Args, ValueEnum};
use numgate_carrier_sim::smsc::{IdForm, SmscConfig};
use numgate_server::startup::shutdown_signal;

#[derive(Args)]
pub struct SmscSimArgs {
    /// Where ESMEs (numgate's SMPP sender) connect; port 0 picks one.
    #[arg(long, default_value = "127.0.0.1:2775")]
    smpp_listen: SocketAddr,
    /// The JSON control API (`/control/...`, unauthenticated: keep it on loopback); port 0 picks one.
    #[arg(long, default_value = "127.0.0.1:9200")]
    control_listen: SocketAddr,
    /// The account binds must name.
    #[arg(long, default_value = "numgate")]
    system_id: String,
    /// The account's password (env NUMGATE_SMSC_PASSWORD).
    #[arg(
        long,
        env = "NUMGATE_SMSC_PASSWORD",
        hide_env_values = true,
        default_value = "secret"
    )]
    password: String,
    /// The form of submit_sm_resp message ids.
    #[arg(long, value_enum, default_value_t = Form::Hex)]
    id_form: Form,
    /// The form of ids in delivery receipts.
    #[arg(long, value_enum, default_value_t = ReceiptForm::Same)]
    receipt_id_form: ReceiptForm,
    /// Receipts carry only the text, without the receipted_message_id and message_state TLVs.
    #[arg(long)]
    no_receipt_tlvs: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Form {
    Hex,
    Decimal,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReceiptForm {
    Hex,
    Decimal,
    /// As the submit_sm_resp gave it.
    Same,
}

fn form(f: Form) -> IdForm {
    match f {
        Form::Hex => IdForm::Hex,
        Form::Decimal => IdForm::Decimal,
    }
}

pub async fn run(args: SmscSimArgs) -> anyhow::Result<()> {
    let config = SmscConfig {
        system_id: args.system_id,
        password: args.password,
        id_form: form(args.id_form),
        receipt_id_form: match args.receipt_id_form {
            ReceiptForm::Hex => Some(IdForm::Hex),
            ReceiptForm::Decimal => Some(IdForm::Decimal),
            ReceiptForm::Same => None,
        },
        receipt_tlvs: !args.no_receipt_tlvs,
    };
    let smpp = tokio::net::TcpListener::bind(args.smpp_listen)
        .await
        .with_context(|| format!("listening on {}", args.smpp_listen))?;
    let control = tokio::net::TcpListener::bind(args.control_listen)
        .await
        .with_context(|| format!("listening on {}", args.control_listen))?;
    let (smpp_addr, control_addr) = (smpp.local_addr()?, control.local_addr()?);
    let shutdown = shutdown_signal();
    eprintln!("numgate smsc-sim: SMPP at {smpp_addr}");
    eprintln!("numgate smsc-sim: control at http://{control_addr}/control");
    numgate_carrier_sim::smsc::run(config, smpp, control, shutdown).await?;
    Ok(())
}
