//! The complimentary SMS signatures and templates that every new tenant gets,
//! whatever the backend: both seed exactly these.

/// Signatures a new tenant may use at once (only with complimentary templates),
/// as Alibaba gives every account for verification codes.
pub(crate) const COMPLIMENTARY_SIGNATURES: &[&str] = &[
    "速通互联验证码",
    "云渚科技验证平台",
    "速通互联验证平台",
    "云渚科技验证服务",
];

/// (code, name, content) of the complimentary templates; the codes are the
/// Fusion-Auth scene numbers they serve.
pub(crate) const COMPLIMENTARY_TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "100001",
        "登录/注册模板",
        "您的验证码为${code}。尊敬的客户，以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100002",
        "修改绑定手机号模板",
        "尊敬的客户，您正在进行修改手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100003",
        "重置密码模板",
        "尊敬的客户，您正在进行重置密码操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100004",
        "绑定新手机号模板",
        "尊敬的客户，您正在进行绑定新手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100005",
        "验证绑定手机号模板",
        "尊敬的客户，您正在验证绑定手机号，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
];
