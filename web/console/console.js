// The console's script: plain JavaScript, embedded in the binary.
// Calls to /console/api that change state send the page's CSRF token.
"use strict";
window.numgateConsole = {
  csrf() {
    const el = document.querySelector("[data-csrf]");
    return el ? el.dataset.csrf : "";
  },
  async api(method, path, body) {
    const res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) { window.location.assign("/console/login"); }
    return res;
  },
};
