//! Sending and checking verification codes.

use numgate_domain::names::SchemeName;
use numgate_domain::template::TemplateParams;
use numgate_domain::{
    CaseAuthPolicy, CodeLength, CodeType, DuplicatePolicy, PhoneNumber, VerifyCode,
};
use numgate_store::{
    sms_prefix, CheckOutcome, CodeCheck, CodeKey, NewCode, SendGuards, SendOutcome, HOUR_MS,
};
use rand::rngs::OsRng;
use rand::Rng;

use crate::config::SmsConfig;
use crate::error::{ApiError, BizCode};
use crate::metrics;
use crate::state::AppState;

/// A send, every parameter validated.
pub struct SendCode {
    pub scheme: SchemeName,
    pub phone: PhoneNumber,
    pub sign_name: String,
    pub template_code: String,
    pub template_params: TemplateParams,
    pub length: CodeLength,
    pub kind: CodeType,
    pub valid_secs: i64,
    pub interval_secs: i64,
    pub policy: DuplicatePolicy,
    pub out_id: Option<String>,
    /// `AutoRetry`: whether a failed delivery is tried again.
    pub auto_retry: bool,
    /// `SmsUpExtendCode`: the sender number's extension, for upstream replies.
    pub up_extend_code: Option<String>,
}

pub struct Sent {
    pub biz_id: String,
    pub code: VerifyCode,
}

fn key(tenant_id: i64, scheme: &SchemeName, phone: &PhoneNumber) -> CodeKey {
    CodeKey {
        tenant_id,
        scheme: scheme.as_str().to_owned(),
        country_code: phone.country().as_str().to_owned(),
        phone: phone.national().to_owned(),
    }
}

/// A BizId in Alibaba's shape: 18 digits, `^`, the part number.
fn new_biz_id() -> String {
    format!(
        "{:018}^0",
        OsRng.gen_range(100_000_000_000_000_000u64..1_000_000_000_000_000_000)
    )
}

/// The anti-pumping limits of a send for the tenant.
fn guards(cfg: &SmsConfig, daily_budget: u32) -> SendGuards {
    SendGuards {
        prefix_hourly_cap: cfg.prefix_hourly_cap,
        // Throttling never raises the cap.
        throttled_prefix_hourly_cap: cfg.throttled_prefix_hourly_cap.min(cfg.prefix_hourly_cap),
        prefix_block_ms: i64::from(cfg.prefix_block_hours) * HOUR_MS,
        country_hourly_cap: cfg.country_hourly_cap,
        conversion_window_ms: i64::from(cfg.conversion_window_hours) * HOUR_MS,
        conversion_min_volume: cfg.conversion_min_volume,
        conversion_threshold: cfg.conversion_threshold,
        daily_budget,
        utc_offset_ms: i64::from(cfg.utc_offset_hours) * HOUR_MS,
    }
}

/// A refused send: counted by reason, answered with its business code.
fn refused(reason: &'static str, code: BizCode, message: &str) -> ApiError {
    metrics::record_sms_refused(reason);
    ApiError::biz(code, message)
}

/// Creates a code for the number and queues its message, in one transaction that
/// also applies the interval, the caps and the anti-pumping guards (prefix,
/// country, conversion, the tenant's daily budget). Answers once that is committed.
pub async fn send(state: &AppState, tenant_id: i64, req: SendCode) -> Result<Sent, ApiError> {
    let cfg = &state.config.sms;
    super::billing::ensure_quota(state, tenant_id, numgate_domain::stats::Method::Sms).await?;
    if !cfg
        .allowed_countries
        .iter()
        .any(|c| c == req.phone.country().as_str())
    {
        metrics::record_sms_refused("country_not_allowed");
        return Err(ApiError::biz(
            BizCode::MobileNumberIllegal,
            format!(
                "sending to country code {} is not enabled on this service",
                req.phone.country()
            ),
        ));
    }
    let store = &state.store;
    let signature = store
        .find_signature(tenant_id, &req.sign_name)
        .await?
        .filter(|s| s.approved)
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::SmsSignatureIllegal,
                "the SignName is not an approved signature of this account",
            )
        })?;
    let template = store
        .find_template(tenant_id, &req.template_code)
        .await?
        .filter(|t| t.approved)
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::SmsTemplateIllegal,
                "the TemplateCode is not an approved template of this account",
            )
        })?;
    if signature.complimentary && !template.complimentary {
        return Err(ApiError::biz(
            BizCode::SmsSignatureIllegal,
            "a complimentary signature can only be used with a complimentary template",
        ));
    }

    let code = VerifyCode::generate(req.kind, req.length);
    let body = req
        .template_params
        .render(&template.content, code.expose())
        .map_err(|e| ApiError::invalid(BizCode::SmsTemplateParamsIllegal, e))?;
    let masked_body = req
        .template_params
        .render(&template.content, &"*".repeat(req.length.get()))
        .map_err(|e| ApiError::invalid(BizCode::SmsTemplateParamsIllegal, e))?;
    let text = format!("【{}】{}", signature.name, body);
    let masked = format!("【{}】{}", signature.name, masked_body);

    // The budget of the tenant by name, when some tenant has its own: a tenant
    // that cannot be read refuses the send (fails closed), as does any error of
    // the send's transaction.
    let daily_budget = if cfg.tenant_budgets.is_empty() {
        cfg.daily_budget
    } else {
        let tenant = store.find_tenant_by_id(tenant_id).await?.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("tenant {tenant_id} of a send is gone"))
        })?;
        cfg.budget_of(&tenant.name)
    };

    let number = req.phone.e164_digits();
    let now = state.clock.now_millis();
    let biz_id = new_biz_id();
    let new = NewCode {
        key: key(tenant_id, &req.scheme, &req.phone),
        code_hash: state.hasher.hash(&number, code.expose()),
        code_hash_folded: state.hasher.hash(&number, &code.case_folded()),
        now,
        expires_at: now + req.valid_secs * 1000,
        interval_ms: req.interval_secs * 1000,
        hourly_cap: cfg.hourly_cap,
        daily_cap: cfg.daily_cap,
        replace_older: req.policy == DuplicatePolicy::Replace,
        biz_id: biz_id.clone(),
        out_id: req.out_id,
        sign_name: signature.name,
        template_code: template.code,
        masked_content: masked,
        sealed_text: state.secrets.seal(text.as_bytes()),
        auto_retry: req.auto_retry,
        up_extend_code: req.up_extend_code,
        guards: guards(cfg, daily_budget),
    };
    // Logs name the prefix only: never the whole number.
    let country = req.phone.country().as_str();
    let prefix = sms_prefix(req.phone.national());
    let limit = BizCode::BusinessLimitControl;
    match store.send_code(new).await? {
        SendOutcome::Sent => {}
        SendOutcome::SentThrottled => {
            tracing::warn!(
                tenant_id,
                country,
                prefix,
                "SMS conversion alarm: few codes sent to this prefix are verified; \
                 its hourly cap is lowered"
            );
            metrics::raise_conversion_alarm(now);
        }
        SendOutcome::TooSoon => {
            return Err(refused(
                "interval",
                BizCode::Frequency,
                "a code was sent to this number within the interval; try again later",
            ))
        }
        SendOutcome::HourlyCapReached => {
            return Err(refused(
                "number_hourly_cap",
                limit,
                "this number has reached its hourly limit of codes",
            ))
        }
        SendOutcome::DailyCapReached => {
            return Err(refused(
                "number_daily_cap",
                limit,
                "this number has reached its daily limit of codes",
            ))
        }
        SendOutcome::PrefixBlocked { .. } => {
            return Err(refused(
                "prefix_blocked",
                limit,
                "sending to this number's range is blocked for a while: \
                 it received an unusual number of codes",
            ))
        }
        SendOutcome::PrefixCapReached { throttled, .. } => {
            tracing::warn!(
                tenant_id,
                country,
                prefix,
                block_hours = cfg.prefix_block_hours,
                throttled,
                "SMS prefix blocked: over its hourly cap"
            );
            return Err(if throttled {
                metrics::raise_conversion_alarm(now);
                refused(
                    "conversion_throttle",
                    limit,
                    "this number's range has reached its hourly limit, lowered because \
                     few of its codes are verified; sending to it is blocked for a while",
                )
            } else {
                refused(
                    "prefix_cap",
                    limit,
                    "this number's range has reached its hourly limit of codes; \
                     sending to it is blocked for a while",
                )
            });
        }
        SendOutcome::CountryCapReached => {
            return Err(refused(
                "country_cap",
                limit,
                "this country code has reached its hourly limit of codes; try again later",
            ))
        }
        SendOutcome::DailyBudgetReached => {
            return Err(refused(
                "daily_budget",
                BizCode::DayLimitControl,
                "this account's daily SMS budget is used up; try again tomorrow",
            ))
        }
    }
    state.dispatch_wake.notify_one();
    Ok(Sent { biz_id, code })
}

/// Whether the code is a live code of the number, consuming it if so. A wrong,
/// expired, used, dead or unknown code all answer `false`, by the same path.
pub async fn check(
    state: &AppState,
    tenant_id: i64,
    scheme: &SchemeName,
    phone: &PhoneNumber,
    code: &VerifyCode,
    policy: CaseAuthPolicy,
) -> Result<bool, ApiError> {
    let number = phone.e164_digits();
    let (code_hash, folded) = match policy {
        CaseAuthPolicy::Insensitive => (state.hasher.hash(&number, &code.case_folded()), true),
        CaseAuthPolicy::Sensitive => (state.hasher.hash(&number, code.expose()), false),
    };
    let outcome = state
        .store
        .check_code(CodeCheck {
            key: key(tenant_id, scheme, phone),
            code_hash,
            folded,
            now: state.clock.now_millis(),
            max_attempts: state.config.sms.max_check_attempts,
        })
        .await?;
    Ok(matches!(outcome, CheckOutcome::Pass { .. }))
}
