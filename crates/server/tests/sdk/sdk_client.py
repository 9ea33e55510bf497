"""Drives numgate with the official Alibaba Cloud Python SDK (Dypnsapi 2017-05-25).

Run by crates/server/tests/it/sdk.rs with the venv of scripts/python-venv.sh:

    sdk_client.py --endpoint 127.0.0.1:PORT --key-id ID --key-secret SECRET \
        [--security-token TOKEN] [--algorithm v3|v2] [--nonce N] [--skew-secs S] \
        [--tamper NAME=VALUE] CALL...

--security-token makes the client one with temporary (STS) credentials, as an app
gets them from GetSmsAuthTokens: Config(access_key_id, access_key_secret,
security_token).

CALL is one of
    send:PHONE               SendSmsVerifyCode, ReturnVerifyCode=True, the test template
    check:PHONE:CODE         CheckSmsVerifyCode; CODE "@code" is the last code sent
    query:PHONE:YYYYMMDD     QuerySendDetails, PageSize 10, CurrentPage 1
    create-android:NAME,PACK,SIGN   CreateVerifyScheme for an Android app
    create-ios:NAME,BUNDLE          CreateVerifyScheme for an iOS app
    create-web:NAME,URL,ORIGIN      CreateVerifyScheme for an H5 site
    describe:CODE            DescribeVerifyScheme; CODE "@scheme" is the last scheme created
    delete:CODE              DeleteVerifyScheme (CustomerId 1, ignored by numgate)
    get-mobile:TOKEN         GetMobile (one-click logon) with a device's AccessToken
    verify-mobile:TOKEN:PHONE  VerifyMobile (number check)
    fusion-scheme-android:NAME,PACK,SIGN  CreateSchemeConfig (Fusion-Auth) for an Android app
    fusion-scheme-ios:NAME,BUNDLE         CreateSchemeConfig for an iOS app
    fusion-token-android:CODE,PACK,SIGN,DURATION  GetFusionAuthToken (the SDK token);
                             CODE "@scheme" is the last scheme created
    fusion-token-ios:CODE,BUNDLE,DURATION GetFusionAuthToken for an iOS app
    fusion-verify:TOKEN      VerifyWithFusionAuthToken with the device's VerifyToken
    sms-grant:SCENE:PACKAGE  GetSmsAuthTokens for an Android app, the test sign and
                             template, SmsCodeExpire 300, Expire 900
    sms-send:PHONE           SendSmsVerifyCode as an app sends it: the test sign,
                             template and TemplateParam, no ReturnVerifyCode
    sms-verify:PHONE:CODE:TOKEN  VerifySmsCode (TOKEN: the grant's BizToken)

The calls run in order with one client; the script prints ONE JSON line, a list
with one object per call:
    success:       {"status", "code", "message", "success", "model", "total_count",
                    "body", "ignored", "wrong_type"} - the fields as the SDK's response model
                   holds them (snake_case), plus what the model dropped or mistyped
    SDK exception: {"error": {"type", "code", "status", "message", "request_id"}}

The options patch the SDK, for every call of the run:
    --nonce       Utils.get_nonce returns N (x-acs-signature-nonce / SignatureNonce)
    --skew-secs   Utils.get_timestamp is S seconds off (x-acs-date / Timestamp)
    --tamper      DaraCore.do_action sets query parameter NAME to VALUE after the
                  request was signed, just before it goes out
"""

import argparse
import json
import typing
from datetime import datetime, timedelta, timezone

from alibabacloud_dypnsapi20170525 import models
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_util.models import RuntimeOptions
from darabonba.core import DaraCore
from Tea.model import TeaModel

SIGN_NAME = "速通互联验证码"
TEMPLATE_CODE = "100001"
TEMPLATE_PARAM = '{"code":"##code##","min":"5"}'


def patch_sdk(args):
    if args.nonce is not None:
        Utils.get_nonce = staticmethod(lambda: args.nonce)
    if args.skew_secs is not None:
        at = lambda: datetime.now(timezone.utc) + timedelta(seconds=args.skew_secs)
        Utils.get_timestamp = staticmethod(lambda: at().strftime("%Y-%m-%dT%H:%M:%SZ"))
    if args.tamper is not None:
        name, value = args.tamper.split("=", 1)
        send = DaraCore.do_action

        def tampered(request, runtime=None):
            if name not in request.query:
                raise SystemExit(f"--tamper: no query parameter {name} to change")
            request.query[name] = value
            return send(request, runtime)

        DaraCore.do_action = staticmethod(tampered)


def plain(value):
    """A response model as the SDK user sees it: attributes, snake_case."""
    if isinstance(value, TeaModel):
        return {k: plain(v) for k, v in vars(value).items() if v is not None and not k.startswith("_")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def ignored(raw, decoded, path=""):
    """Paths of the raw JSON body that the SDK model dropped or changed."""
    if isinstance(raw, dict) and isinstance(decoded, dict):
        out = []
        for k, v in raw.items():
            p = f"{path}.{k}" if path else k
            if v is None:
                continue
            out += ignored(v, decoded[k], p) if k in decoded else [p]
        return out
    if isinstance(raw, list) and isinstance(decoded, list) and len(raw) == len(decoded):
        return [p for i, (r, d) in enumerate(zip(raw, decoded)) for p in ignored(r, d, f"{path}[{i}]")]
    return [] if raw == decoded else [path]


def wrong_type(model, path=""):
    """Model attributes whose value does not have the type the SDK declares."""
    out = []
    hints = typing.get_type_hints(type(model).__init__)
    for attr, value in vars(model).items():
        if value is None or attr not in hints:
            continue
        want, p = hints[attr], f"{path}.{attr}" if path else attr
        if typing.get_origin(want) is list:
            if not isinstance(value, list):
                out.append(f"{p}: want list, got {type(value).__name__}")
                continue
            (item,) = typing.get_args(want)
            for i, v in enumerate(value):
                if isinstance(v, TeaModel):
                    out += wrong_type(v, f"{p}[{i}]")
                elif type(v) is not item:
                    out.append(f"{p}[{i}]: want {item.__name__}, got {type(v).__name__}")
        elif isinstance(want, type) and issubclass(want, TeaModel):
            out += wrong_type(value, p)
        elif want in (str, int, bool, float) and type(value) is not want:
            out.append(f"{p}: want {want.__name__}, got {type(value).__name__}")
    return out


def fusion_request_for(action, args):
    """The Fusion-Auth calls; None for any other."""
    fields = args.split(",")
    if action == "fusion-scheme-android":
        name, pack, sign = fields
        return "create_scheme_config_with_options", models.CreateSchemeConfigRequest(
            scheme_name=name,
            app_name="Demo",
            platform="Android",
            android_package_name=pack,
            android_package_sign=sign,
        )
    if action == "fusion-scheme-ios":
        name, bundle = fields
        return "create_scheme_config_with_options", models.CreateSchemeConfigRequest(
            scheme_name=name, app_name="Demo", platform="iOS", ios_bundle_id=bundle
        )
    if action == "fusion-token-android":
        code, pack, sign, duration = fields
        return "get_fusion_auth_token_with_options", models.GetFusionAuthTokenRequest(
            scheme_code=code,
            platform="Android",
            package_name=pack,
            package_sign=sign,
            duration_seconds=int(duration),
        )
    if action == "fusion-token-ios":
        code, bundle, duration = fields
        return "get_fusion_auth_token_with_options", models.GetFusionAuthTokenRequest(
            scheme_code=code, platform="iOS", bundle_id=bundle, duration_seconds=int(duration)
        )
    if action == "fusion-verify":
        return "verify_with_fusion_auth_token_with_options", (
            models.VerifyWithFusionAuthTokenRequest(verify_token=args)
        )
    return None


def request_for(call):
    action, _, args = call.partition(":")
    fusion = fusion_request_for(action, args)
    if fusion is not None:
        return fusion
    if action.startswith("create-"):
        os_type = action[len("create-"):]
        fields = args.split(",")
        common = dict(scheme_name=fields[0], app_name="Demo", auth_type="1")
        if os_type == "android":
            req = models.CreateVerifySchemeRequest(
                os_type="Android", pack_name=fields[1], pack_sign=fields[2], **common
            )
        elif os_type == "ios":
            req = models.CreateVerifySchemeRequest(os_type="iOS", bundle_id=fields[1], **common)
        elif os_type == "web":
            req = models.CreateVerifySchemeRequest(
                os_type="Web", url=fields[1], origin=fields[2], **common
            )
        else:
            raise SystemExit(f"unknown call {call!r}")
        return "create_verify_scheme_with_options", req
    if action == "get-mobile":
        return "get_mobile_with_options", models.GetMobileRequest(access_token=args)
    if action == "verify-mobile":
        token, _, phone = args.rpartition(":")
        return "verify_mobile_with_options", models.VerifyMobileRequest(
            access_code=token, phone_number=phone
        )
    if action == "describe":
        return "describe_verify_scheme_with_options", models.DescribeVerifySchemeRequest(
            scheme_code=args, customer_id=1
        )
    if action == "delete":
        return "delete_verify_scheme_with_options", models.DeleteVerifySchemeRequest(
            scheme_code=args, customer_id=1
        )
    rest = args.split(":")
    if action == "send":
        (phone,) = rest
        return "send_sms_verify_code_with_options", models.SendSmsVerifyCodeRequest(
            phone_number=phone,
            sign_name=SIGN_NAME,
            template_code=TEMPLATE_CODE,
            template_param=TEMPLATE_PARAM,
            return_verify_code=True,
        )
    if action == "check":
        phone, code = rest
        return "check_sms_verify_code_with_options", models.CheckSmsVerifyCodeRequest(
            phone_number=phone, verify_code=code
        )
    if action == "sms-grant":
        scene, package = rest
        return "get_sms_auth_tokens_with_options", models.GetSmsAuthTokensRequest(
            scene_code=scene,
            os_type="Android",
            package_name=package,
            sign_name=SIGN_NAME,
            sms_template_code=TEMPLATE_CODE,
            sms_code_expire=300,
            expire=900,
        )
    if action == "sms-send":
        (phone,) = rest
        return "send_sms_verify_code_with_options", models.SendSmsVerifyCodeRequest(
            phone_number=phone,
            sign_name=SIGN_NAME,
            template_code=TEMPLATE_CODE,
            template_param=TEMPLATE_PARAM,
        )
    if action == "sms-verify":
        phone, code, token = rest
        return "verify_sms_code_with_options", models.VerifySmsCodeRequest(
            phone_number=phone, sms_code=code, sms_token=token
        )
    if action == "query":
        phone, date = rest
        return "query_send_details_with_options", models.QuerySendDetailsRequest(
            phone_number=phone, send_date=date, page_size=10, current_page=1
        )
    raise SystemExit(f"unknown call {call!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True, help="127.0.0.1:PORT")
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--key-secret", required=True)
    parser.add_argument("--security-token")
    parser.add_argument("--algorithm", choices=["v3", "v2"], default="v3")
    parser.add_argument("--nonce")
    parser.add_argument("--skew-secs", type=int)
    parser.add_argument("--tamper", metavar="NAME=VALUE")
    parser.add_argument("calls", nargs="+")
    args = parser.parse_args()
    patch_sdk(args)

    config = Config(
        access_key_id=args.key_id,
        access_key_secret=args.key_secret,
        endpoint=args.endpoint,
        protocol="http",
    )
    if args.security_token is not None:
        config.security_token = args.security_token
    if args.algorithm == "v2":
        config.signature_algorithm = "v2"
    client = Client(config)

    # Keep the raw JSON the SDK received, to compare it with its model.
    raw = {}
    call_api = client.call_api

    def recording_call_api(params, request, runtime):
        raw["response"] = call_api(params, request, runtime)
        return raw["response"]

    client.call_api = recording_call_api

    results, last_code, last_scheme = [], None, None
    for call in args.calls:
        call = call.replace("@code", str(last_code)).replace("@scheme", str(last_scheme))
        method, request = request_for(call)
        raw.clear()
        try:
            resp = getattr(client, method)(request, RuntimeOptions())
        except Exception as e:  # the SDK's exception, as an application sees it
            results.append(
                {
                    "error": {
                        "type": type(e).__name__,
                        "code": getattr(e, "code", None),
                        "status": getattr(e, "status_code", None),
                        "data_status": (getattr(e, "data", None) or {}).get("statusCode"),
                        "message": getattr(e, "message", str(e)),
                        "request_id": getattr(e, "request_id", None),
                    }
                }
            )
            continue
        if resp._map is not None:
            # TeaCore.from_map swallows a model's decoding error and keeps the raw map.
            results.append({"decode_error": True, "raw": raw.get("response", {}).get("body")})
            continue
        body = resp.body
        model = getattr(body, "model", None)
        if isinstance(model, models.SendSmsVerifyCodeResponseBodyModel):
            last_code = model.verify_code
        dto = getattr(body, "gate_verify_scheme_dto", None)
        if dto is not None:
            last_scheme = dto.scheme_code
        if isinstance(model, models.CreateSchemeConfigResponseBodyModel):
            last_scheme = model.scheme_code
        results.append(
            {
                "status": resp.status_code,
                "code": body.code,
                "message": body.message,
                "success": getattr(body, "success", None),
                "model": plain(model),
                "total_count": getattr(body, "total_count", None),
                "body": plain(body),
                "ignored": sorted(ignored(raw["response"]["body"], body.to_map())),
                "wrong_type": wrong_type(body),
            }
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
