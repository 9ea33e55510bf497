/*
 * numgate H5 SDK: phone number verification from a web page.
 *
 * The page gets AccessToken and JwtToken from its own backend (GetAuthToken),
 * then:
 *   const h5 = NumgateH5.session({numgate, gateway, carrier, appId, accessToken, jwtToken});
 *   const masked = await h5.prefetch();          // "138****0011": show it
 *   const spToken = await h5.confirm("0011");    // the four middle digits typed
 * and hands spToken to its backend (GetPhoneWithToken / VerifyPhoneWithToken).
 * A failed confirm throws {code, message, triesLeft}; after three wrong tries
 * the session is dead (code "SessionDead").
 *
 * The carrier gateway is called from the browser: it knows the phone by its
 * mobile data connection, as the carrier's own H5 gateway does.
 *
 * Fusion-Auth scenes (the page's backend calls GetFusionAuthToken):
 *   const r = await NumgateH5.fusion({numgate, token, scene: "100001",
 *       number,            // scenes 100002–100005: the number entered / bound
 *       ui: {
 *         enterNumber: (error) => Promise<string>,      // the user types the number
 *         smsCode: (step) => Promise<string | null>,     // the code texted to step.MaskedNumber; null gives up
 *         upstream: (step) => Promise<boolean>,          // "send step.Text to step.To": true once sent
 *         onStep: (step) => void,                        // optional: every step as it comes
 *       }});
 *   // r = {verifyToken, maskedNumber}: the backend calls VerifyWithFusionAuthToken.
 * A refused scene throws {code: "Refused", node, reason}. Carrier consent and
 * the CAPTCHA are done by the SDK itself.
 */
(function (global) {
  "use strict";

  async function postJson(url, body) {
    const resp = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    let json = null;
    try { json = await resp.json(); } catch (e) { json = null; }
    return { ok: resp.ok, status: resp.status, json: json };
  }

  function carrierData(answer) {
    // Each carrier has its own envelope; data is present only on success.
    const j = answer.json || {};
    if (j.data) return j.data;
    const code = j.resultCode !== undefined ? j.resultCode : (j.code !== undefined ? j.code : j.result);
    const err = new Error(j.resultDesc || j.msg || "the carrier refused");
    err.code = "Carrier:" + code;
    throw err;
  }

  function session(opts) {
    const gw = opts.gateway.replace(/\/$/, "") + "/" + opts.carrier;
    const numgate = opts.numgate.replace(/\/$/, "");
    return {
      async prefetch() {
        const a = await postJson(gw + "/prefetch", { app_id: opts.appId });
        return carrierData(a).masked_number;
      },
      async confirm(digits) {
        // A fresh carrier token for each try: the carrier's are single use.
        const t = await postJson(gw + "/token", { app_id: opts.appId, purpose: "login" });
        const carrierToken = carrierData(t).token;
        const r = await postJson(numgate + "/client/v1/h5/confirm", {
          access_token: opts.accessToken,
          jwt_token: opts.jwtToken,
          carrier: opts.carrier,
          carrier_token: carrierToken,
          digits: String(digits),
        });
        if (r.ok && r.json && r.json.SpToken) return r.json.SpToken;
        const j = r.json || {};
        const err = new Error(j.message || ("HTTP " + r.status));
        err.code = j.code || "HTTP" + r.status;
        err.triesLeft = j.TriesLeft;
        throw err;
      },
    };
  }

  async function sha256hex(text) {
    const buf = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ALTCHA: the number n with SHA-256(salt + n) = challenge, as the widget finds it.
  async function solveChallenge(c) {
    for (let n = 0; n <= c.maxnumber; n++) {
      if ((await sha256hex(c.salt + n)) === c.challenge) {
        return btoa(JSON.stringify({
          algorithm: c.algorithm, challenge: c.challenge, number: n,
          salt: c.salt, signature: c.signature,
        }));
      }
    }
    const err = new Error("the CAPTCHA has no solution");
    err.code = "CaptchaUnsolved";
    throw err;
  }

  // Asks the offered carrier over the mobile data connection, within the step's time.
  async function carrierAction(step, purpose) {
    const c = (step.Carriers || [])[0];
    if (!c) return { Action: "carrier", Failed: "no_data" };
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), step.TimeoutMs || 5000);
    try {
      const resp = await fetch(c.Gateway.replace(/\/$/, "") + "/" + c.Carrier + "/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ app_id: c.AppId, purpose: purpose }),
        signal: ctrl.signal,
      });
      const j = await resp.json();
      if (j && j.data && j.data.token) {
        return { Action: "carrier", Carrier: c.Carrier, CarrierToken: j.data.token };
      }
      return { Action: "carrier", Failed: "no_data" };
    } catch (e) {
      return { Action: "carrier", Failed: e.name === "AbortError" ? "timeout" : "no_data" };
    } finally {
      clearTimeout(timer);
    }
  }

  function failure(r) {
    const j = r.json || {};
    const err = new Error(j.message || ("HTTP " + r.status));
    err.code = j.code || "HTTP" + r.status;
    return err;
  }

  async function fusion(opts) {
    const numgate = opts.numgate.replace(/\/$/, "");
    const ui = opts.ui || {};
    const start = { Token: opts.token, Scene: String(opts.scene) };
    if (opts.number) start.Number = String(opts.number);
    if (opts.deviceId) start.DeviceId = String(opts.deviceId);
    if (opts.signals) start.Signals = opts.signals;
    let r = await postJson(numgate + "/client/v1/fusion/start", start);
    for (let i = 0; i < 64; i++) {
      if (!r.ok || !r.json) throw failure(r);
      const step = r.json;
      if (ui.onStep) ui.onStep(step);
      let action;
      switch (step.Step) {
        case "done":
          return { verifyToken: step.VerifyToken, maskedNumber: step.MaskedNumber };
        case "refused": {
          const err = new Error("refused at " + step.Node + ": " + step.Reason);
          err.code = "Refused";
          err.node = step.Node;
          err.reason = step.Reason;
          throw err;
        }
        case "carrier_consent":
          action = await carrierAction(step, "login");
          break;
        case "number_check":
          action = await carrierAction(step, "verify");
          break;
        case "captcha":
          action = { Action: "captcha", Payload: await solveChallenge(step.Challenge) };
          break;
        case "enter_number":
          action = { Action: "number", Number: String(await ui.enterNumber(step.Error)) };
          break;
        case "sms_code": {
          const code = await ui.smsCode(step);
          action = code ? { Action: "sms_code", Code: String(code) } : { Action: "give_up" };
          break;
        }
        case "upstream_sms":
          action = (await ui.upstream(step)) ? { Action: "upstream" } : { Action: "give_up" };
          break;
        default: {
          const err = new Error("unknown step " + step.Step);
          err.code = "UnknownStep";
          throw err;
        }
      }
      action.Session = step.Session;
      r = await postJson(numgate + "/client/v1/fusion/step", action);
    }
    const err = new Error("the scene took too many steps");
    err.code = "TooManySteps";
    throw err;
  }

  global.NumgateH5 = { session: session, fusion: fusion, version: "2" };
})(window);
