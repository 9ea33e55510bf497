//! The web console over real HTTP: sign-in, lockout, sessions, CSRF, tenant
//! scoping and languages; and one run in headless Chromium.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use numgate_client::{CreateVerifyScheme, OpenApi};
use numgate_domain::clock::Clock;
use numgate_server::console::users;
use numgate_server::service::keys;
use numgate_server::{open_data_dir, DataDir, DEFAULT_TENANT};
use numgate_store::UserRole;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp};

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A console test world: the server (plain-HTTP cookies) and its data directory.
pub(crate) async fn console_app() -> (TestApp, DataDir) {
    let app = spawn_app_with(|c| c.console.secure_cookies = false).await;
    let data = open_data_dir(&app.config).await.unwrap();
    (app, data)
}

pub(crate) async fn add_user(app: &TestApp, data: &DataDir, name: &str, tenant: Option<&str>) {
    let role = if tenant.is_some() {
        UserRole::Tenant
    } else {
        UserRole::Operator
    };
    users::create(
        data.store.as_ref(),
        name,
        role,
        tenant,
        PASSWORD,
        app.clock.now_millis(),
    )
    .await
    .unwrap();
}

/// A browser stand-in: keeps cookies, follows no redirects.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    jar: HashMap<String, String>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.endpoint.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: HashMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn keep_cookies(&mut self, res: &Response) {
        for c in res.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Response {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&res);
        res
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        csrf_header: Option<&str>,
    ) -> Response {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        if let Some(t) = csrf_header {
            req = req.header("x-csrf-token", t);
        }
        let res = req.send().await.unwrap();
        self.keep_cookies(&res);
        res
    }

    pub(crate) async fn text(&mut self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        (res.status(), res.text().await.unwrap())
    }

    /// The sign-in form's token, after loading the form.
    pub(crate) async fn login_csrf(&mut self) -> String {
        let (status, html) = self.text("/console/login").await;
        assert_eq!(status, StatusCode::OK);
        hidden_csrf(&html)
    }

    /// Loads the form and posts it; the answer (a 303 on success, else the form again).
    pub(crate) async fn sign_in(&mut self, name: &str, password: &str) -> (StatusCode, String) {
        let csrf = self.login_csrf().await;
        let res = self
            .post(
                "/console/login",
                &[("name", name), ("password", password), ("csrf", &csrf)],
                None,
            )
            .await;
        (res.status(), res.text().await.unwrap())
    }

    pub(crate) async fn json(&mut self, path: &str) -> (StatusCode, Value) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_signs_in_and_sees_the_overview_with_their_tenant() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);

    let csrf = b.login_csrf().await;
    let res = b
        .post(
            "/console/login",
            &[("name", "alice"), ("password", PASSWORD), ("csrf", &csrf)],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console");
    let session = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("numgate_session="))
        .expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain HTTP configured: {session}"
    );
    let id = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("numgate_session=");
    assert_eq!(id.len(), 43, "256 random bits, base64url");

    let (status, html) = b.text("/console").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">alice<"), "{html}");
    assert!(html.contains(&format!(">{DEFAULT_TENANT}<")), "{html}");
    assert!(html.contains("id=\"api-sdk\""), "{html}");

    let (status, me) = b.json("/console/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "alice");
    assert_eq!(me["role"], "tenant");
    assert_eq!(me["tenant"], DEFAULT_TENANT);
}

#[tokio::test]
async fn session_cookies_are_secure_by_default() {
    let app = spawn_app_with(|_| {}).await;
    let data = open_data_dir(&app.config).await.unwrap();
    add_user(&app, &data, "root", None).await;
    let mut b = Browser::new(&app);
    let csrf = b.login_csrf().await;
    let res = b
        .post(
            "/console/login",
            &[("name", "root"), ("password", PASSWORD), ("csrf", &csrf)],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for c in res.headers().get_all(SET_COOKIE) {
        assert!(c.to_str().unwrap().ends_with("; Secure"), "{c:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_look_the_same() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);

    let mut answers = Vec::new();
    let (mut wrong, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..4 {
        let csrf = b.login_csrf().await;
        for (name, fastest) in [("alice", &mut wrong), ("mallory", &mut unknown)] {
            let t = Instant::now();
            let res = b
                .post(
                    "/console/login",
                    &[
                        ("name", name),
                        ("password", "not the password"),
                        ("csrf", &csrf),
                    ],
                    None,
                )
                .await;
            let answer = (res.status(), res.text().await.unwrap());
            *fastest = (*fastest).min(t.elapsed());
            answers.push(answer);
        }
    }
    for a in &answers {
        assert_eq!(a, &answers[0]);
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert!(answers[0].1.contains("Wrong name or password."));
    assert!(!b.jar.contains_key("numgate_session"));
    // An unknown user's password is checked against a dummy hash: the answer
    // takes as long. The fastest of each kind is compared (noise only slows),
    // loosely: without the dummy hash an unknown user would be answered at once.
    println!("fastest answers: wrong password {wrong:?}, unknown user {unknown:?}");
    assert!(unknown * 3 >= wrong, "unknown {unknown:?}, wrong {wrong:?}");
}

#[tokio::test]
async fn five_failures_lock_the_user_and_the_right_password_is_refused_while_locked() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);

    let (_, wrong) = b.sign_in("alice", "guess").await;
    for _ in 0..4 {
        assert_eq!(
            b.sign_in("alice", "guess").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: the right password gets the wrong password's answer.
    let locked = b.sign_in("alice", PASSWORD).await;
    assert_eq!(locked, (StatusCode::UNAUTHORIZED, wrong.clone()));
    assert!(!b.jar.contains_key("numgate_session"));
    assert!(data
        .store
        .find_user("alice")
        .await
        .unwrap()
        .unwrap()
        .is_locked(app.clock.now_millis()));

    // Still locked just before the 15 minutes are over.
    app.clock.advance_secs(15 * 60 - 5);
    assert_eq!(
        b.sign_in("alice", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance_secs(10);
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    assert_eq!(b.text("/console").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);

    // Sign-in itself: the form's token must match its cookie.
    b.login_csrf().await;
    let res = b
        .post(
            "/console/login",
            &[
                ("name", "alice"),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!b.jar.contains_key("numgate_session"));
    let mut fresh = Browser::new(&app);
    let res = fresh
        .post(
            "/console/login",
            &[("name", "alice"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!fresh.jar.contains_key("numgate_session"));

    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (_, html) = b.text("/console").await;
    let token = hidden_csrf(&html);

    // Sign-out without the token, or with another: 403, the session lives on.
    let res = b.post("/console/logout", &[], None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = b
        .post("/console/logout", &[("csrf", "wrong")], Some("wrong"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.text("/console").await.0, StatusCode::OK);

    // With it (the header, as scripts send it): signed out.
    let res = b.post("/console/logout", &[], Some(&token)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console/login");
    assert!(!b.jar.contains_key("numgate_session"));
    assert_eq!(b.get("/console").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn no_console_page_or_action_without_a_session() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut anonymous = Browser::new(&app);
    let mut forged = Browser::new(&app);
    forged.jar.insert("numgate_session".into(), "A".repeat(43));

    for b in [&mut anonymous, &mut forged] {
        let res = b.get("/console").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], "/console/login");
        for page in numgate_server::console::pages::PAGES {
            let res = b.get(&format!("/console/{}", page.name)).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", page.name);
            assert_eq!(res.headers()[LOCATION], "/console/login");
        }
        for api in [
            "/console/api/me",
            "/console/api/schemes",
            "/console/api/tenants",
        ] {
            let (status, body) = b.json(api).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{api}");
            assert_eq!(body["error"], "unauthenticated");
        }
        let res = b.post("/console/logout", &[], None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], "/console/login");
    }

    // A session that sat idle past its timeout (30 minutes) is gone.
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    app.clock.advance_secs(29 * 60);
    assert_eq!(b.text("/console").await.0, StatusCode::OK);
    app.clock.advance_secs(31 * 60);
    assert_eq!(b.get("/console").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.json("/console/api/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_tenant_user_sees_only_their_tenants_schemes_and_an_operator_picks_one() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    let globex = data.store.ensure_tenant("globex", now).await.unwrap();
    let key = keys::create(
        data.store.as_ref(),
        &data.master_key.secret_box(),
        globex.id,
        now,
    )
    .await
    .unwrap();
    let globex_api = OpenApi::new(&app.endpoint, &key.id, key.secret.as_ref());
    let create = |api: OpenApi, name: &'static str| async move {
        let req = CreateVerifyScheme::android(name, "App", &format!("com.{name}"), &"a".repeat(32));
        api.create_verify_scheme(&req)
            .await
            .unwrap()
            .body
            .gate_verify_scheme_dto
            .unwrap()
            .scheme_code
    };
    let default_code = create(app.client(), "defaultapp").await;
    let globex_code = create(globex_api, "globexapp").await;
    add_user(&app, &data, "gina", Some("globex")).await;
    add_user(&app, &data, "root", None).await;

    let codes = |v: &Value| -> Vec<String> {
        v["schemes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap().to_owned())
            .collect()
    };

    let mut gina = Browser::new(&app);
    assert_eq!(
        gina.sign_in("gina", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, own) = gina.json("/console/api/schemes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["tenant"], "globex");
    assert_eq!(codes(&own), vec![globex_code.clone()]);
    let (status, same) = gina.json("/console/api/schemes?tenant=globex").await;
    assert_eq!(
        (status, codes(&same)),
        (StatusCode::OK, vec![globex_code.clone()])
    );
    let (status, other) = gina
        .json(&format!("/console/api/schemes?tenant={DEFAULT_TENANT}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!other.to_string().contains(&default_code));
    let (_, html) = gina.text("/console").await;
    assert!(html.contains(">globex<") && !html.contains(&format!(">{DEFAULT_TENANT}<")));

    let mut root = Browser::new(&app);
    assert_eq!(
        root.sign_in("root", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, picked) = root.json("/console/api/schemes?tenant=globex").await;
    assert_eq!(codes(&picked), [globex_code]);
    let (_, picked) = root
        .json(&format!("/console/api/schemes?tenant={DEFAULT_TENANT}"))
        .await;
    assert_eq!(codes(&picked), [default_code]);
    assert_eq!(
        root.json("/console/api/schemes?tenant=nobody").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_language_switch_changes_the_page_text() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);

    let (_, english) = b.text("/console/login").await;
    assert!(
        english.contains("<h1 id=\"heading\">Sign in</h1>"),
        "{english}"
    );
    let (_, chinese) = b.text("/console/login?lang=zh-CN").await;
    assert!(
        chinese.contains("<h1 id=\"heading\">登录</h1>"),
        "{chinese}"
    );
    assert!(chinese.contains("<html lang=\"zh-CN\">"));
    // The choice is kept in a cookie.
    assert_eq!(b.jar.get("numgate_lang").map(String::as_str), Some("zh-CN"));
    let (_, again) = b.text("/console/login").await;
    assert!(again.contains("登录"));
    let (status, failed) = b.sign_in("alice", "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(failed.contains("用户名或密码错误。"), "{failed}");

    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (_, overview) = b.text("/console").await;
    assert!(
        overview.contains("<h1 id=\"heading\">概览</h1>"),
        "{overview}"
    );
    assert!(overview.contains("近 30 天"), "{overview}");
    // The pages' scripts get the same language's strings.
    assert!(overview.contains("融合认证"), "{overview}");
    let (_, overview) = b.text("/console?lang=en").await;
    assert!(
        overview.contains("<h1 id=\"heading\">Overview</h1>"),
        "{overview}"
    );
}

#[tokio::test]
async fn in_a_real_browser_a_user_signs_in_sees_the_overview_and_switches_language() {
    use fantoccini::Locator;

    use crate::browser::{chromedriver, open_browser};

    let Some(path) = chromedriver() else { return };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (_driver, c, _profile) = open_browser(&path).await;

    c.goto(&format!("{}/console", app.endpoint)).await.unwrap();
    // No session: the console sends the browser to the sign-in form.
    wait_text(&c, "#heading", |t| t == "Sign in").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    fill(&c, "#name", "alice").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#submit").await;
    wait_text(&c, "#heading", |t| t == "Overview").await;
    assert_eq!(wait_text(&c, "#user", |t| !t.is_empty()).await, "alice");
    assert_eq!(
        wait_text(&c, "#tenant", |t| !t.is_empty()).await,
        DEFAULT_TENANT
    );

    c.find(Locator::Css("#lang-zh"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#heading", |t| t == "概览").await;
    wait_text(&c, "#card-sms h3", |t| t == "短信认证").await;
    // The choice stays across pages; sign-out needs the page's CSRF token and works.
    c.find(Locator::Css("#sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#heading", |t| t == "登录").await;
    c.goto(&format!("{}/console", app.endpoint)).await.unwrap();
    wait_text(&c, "#heading", |t| t == "登录").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn in_a_real_browser_every_section_opens_from_the_navigation() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    for (nav, heading) in [
        ("#nav-schemes", "Schemes"),
        ("#nav-policies", "Policies"),
        ("#nav-sms", "SMS"),
        ("#nav-keys", "AccessKeys"),
        ("#nav-risk", "Risk"),
        ("#nav-billing", "Billing"),
        ("#nav-audit", "Audit log"),
        ("#nav-overview", "Overview"),
    ] {
        click(&c, nav).await;
        wait_text(&c, "#heading", |t| t == heading).await;
        let current = c
            .find(fantoccini::Locator::Css(nav))
            .await
            .unwrap()
            .attr("aria-current")
            .await
            .unwrap();
        assert_eq!(current.as_deref(), Some("page"), "{nav}");
    }
    c.close().await.unwrap();
}

/// Waits until the element's text satisfies `ok`, up to 15 s; tolerates the
/// page changing under it (a navigation makes a found element stale).
pub(crate) async fn wait_text(
    c: &fantoccini::Client,
    css: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    loop {
        if let Ok(el) = c.find(fantoccini::Locator::Css(css)).await {
            if let Ok(t) = el.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{css} never became ready: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A signed-in browser page: headless Chromium through the sign-in form as
/// `name` (who must exist), left on the overview. Keep the returned driver and
/// profile alive while the client is used.
pub(crate) async fn signed_in_browser(
    driver_path: &str,
    app: &TestApp,
    name: &str,
) -> (
    crate::browser::Driver,
    fantoccini::Client,
    tempfile::TempDir,
) {
    let (driver, c, profile) = crate::browser::open_browser(driver_path).await;
    c.goto(&format!("{}/console/login?lang=en", app.endpoint))
        .await
        .unwrap();
    fill(&c, "#name", name).await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#submit").await;
    wait_text(&c, "#heading", |t| t == "Overview").await;
    (driver, c, profile)
}

/// Types `text` into the element (waits up to 15 s for it to appear).
pub(crate) async fn fill(c: &fantoccini::Client, css: &str, text: &str) {
    let el = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Clicks the element (waits up to 15 s for it to appear).
pub(crate) async fn click(c: &fantoccini::Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}
