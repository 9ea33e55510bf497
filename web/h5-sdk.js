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

  global.NumgateH5 = { session: session, version: "1" };
})(window);
