//! Sign-in and sessions against the running server: account changes made
//! with the CLI while it runs (password, removal, re-creation, role and
//! studio, tokens), where a sign-in may redirect to, throttling (429 with
//! `Retry-After` on the form and the API; failures from one address never
//! lock out another), password checks off the async workers, and the CLI's
//! exit codes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{BIN, Response, TestApp, enc};

const PASSWORD: &str = "password-123";
const MEMBERS_ONLY: &str = "/api/records/tunnel-zhang/members-only";
const STUDIO_ONLY: &str = "/api/records/tunnel-zhang/studio-only";

/// A copy of the basic fixture with these accounts (name, role, studio).
fn folder_with(users: &[(&str, &str, Option<&str>)]) -> tempfile::TempDir {
    let dir = crate::support::fixture_copy("basic");
    for (name, role, studio) in users {
        TestApp::add_user(dir.path(), name, role, *studio);
    }
    dir
}

fn app_with(users: &[(&str, &str, Option<&str>)]) -> TestApp {
    TestApp::serve(folder_with(users))
}

/// Runs `zhihui` in `dir` with `stdin` as its standard input.
fn cli(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading its input may close it first.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn cli_ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = cli(dir, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn api_sign_in(app: &TestApp, name: &str, password: &str) -> Response {
    let body = json!({"username": name, "password": password}).to_string();
    app.request(
        "POST",
        "/api/session",
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    )
    .unwrap()
}

/// Signs in through the API and returns the `name=value` of the cookie.
fn session_cookie(app: &TestApp, name: &str, password: &str) -> String {
    let r = api_sign_in(app, name, password);
    assert_eq!(r.status, 200, "sign in {name}: {}", r.body);
    r.header("set-cookie").unwrap().split(';').next().unwrap().to_string()
}

fn form_sign_in(app: &TestApp, name: &str, password: &str, next: &str) -> Response {
    let body = format!("username={}&password={}&next={}", enc(name), enc(password), enc(next));
    app.request(
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
    .unwrap()
}

fn status_with(app: &TestApp, header: (&str, &str), path: &str) -> u16 {
    app.request("GET", path, &[header], None).unwrap().status
}

/// What a cookie may read: (members-only record, tunnel studio-only record).
fn cookie_sees(app: &TestApp, cookie: &str) -> (bool, bool) {
    let sees = |path| status_with(app, ("cookie", cookie), path) == 200;
    (sees(MEMBERS_ONLY), sees(STUDIO_ONLY))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

const NOTHING: (bool, bool) = (false, false);
const MEMBER: (bool, bool) = (true, false);
const ALL: (bool, bool) = (true, true);

#[test]
fn cli_password_change_ends_sessions_in_the_running_server() {
    let app = app_with(&[("m1", "member", None), ("m2", "member", None)]);
    let first = session_cookie(&app, "m1", PASSWORD);
    let second = session_cookie(&app, "m1", PASSWORD);
    let bystander = session_cookie(&app, "m2", PASSWORD);
    let token = TestApp::token(&app.root, "m1");
    assert_eq!(cookie_sees(&app, &first), MEMBER);

    let out = cli_ok(&app.root, &["user", "passwd", "m1"], "a-new-password\n");
    assert!(out.contains("结束 2 个登录会话"), "{out}");
    assert_eq!(cookie_sees(&app, &first), NOTHING, "old cookie after passwd");
    assert_eq!(cookie_sees(&app, &second), NOTHING, "every session of the account");
    assert_eq!(cookie_sees(&app, &bystander), MEMBER, "other accounts keep theirs");
    // The old password is refused, the new one works; tokens are separate
    // credentials and stay.
    assert_eq!(api_sign_in(&app, "m1", PASSWORD).status, 401);
    let fresh = session_cookie(&app, "m1", "a-new-password");
    assert_eq!(cookie_sees(&app, &fresh), MEMBER);
    assert_eq!(status_with(&app, ("authorization", &bearer(&token)), MEMBERS_ONLY), 200);

    // Setting the same password again also ends the sessions made since.
    cli_ok(&app.root, &["user", "passwd", "m1"], "a-new-password\n");
    assert_eq!(cookie_sees(&app, &fresh), NOTHING);
    // A server started afterwards does not bring them back either.
    let app = app.restart();
    for cookie in [&first, &second, &fresh] {
        assert_eq!(cookie_sees(&app, cookie), NOTHING);
    }
    assert_eq!(cookie_sees(&app, &bystander), MEMBER);
}

#[test]
fn a_removed_account_recreated_as_staff_does_not_empower_old_cookies_or_tokens() {
    let app = app_with(&[("m1", "member", None)]);
    let cookie = session_cookie(&app, "m1", PASSWORD);
    let token = TestApp::token(&app.root, "m1");
    assert_eq!(cookie_sees(&app, &cookie), MEMBER);

    cli_ok(&app.root, &["user", "remove", "m1"], "");
    assert_eq!(cookie_sees(&app, &cookie), NOTHING, "removed: the cookie is anonymous");
    assert_eq!(
        status_with(&app, ("authorization", &bearer(&token)), MEMBERS_ONLY),
        401,
        "removed: its token is refused at once"
    );

    // Same name, same password, now staff.
    TestApp::add_user(&app.root, "m1", "staff", None);
    assert_eq!(cookie_sees(&app, &cookie), NOTHING, "the old cookie gets nothing");
    assert_eq!(status_with(&app, ("authorization", &bearer(&token)), MEMBERS_ONLY), 401);
    let publish = app
        .request(
            "PUT",
            "/api/records/tunnel-zhang/x",
            &[("cookie", &cookie), ("x-csrf-token", "anything")],
            Some(b"---\ntitle: x\n---\n"),
        )
        .unwrap();
    assert_eq!(publish.status, 401, "no writes with the old cookie");
    let staff = session_cookie(&app, "m1", PASSWORD);
    assert_eq!(cookie_sees(&app, &staff), ALL, "a new sign-in is staff");
}

#[test]
fn role_and_studio_changes_end_sessions_and_revoke_tokens() {
    let app = app_with(&[("p1", "publisher", Some("tunnel-zhang")), ("m1", "member", None)]);
    let root = app.root.clone();
    let cookie = session_cookie(&app, "p1", PASSWORD);
    let token = TestApp::token(&root, "p1");
    assert_eq!(cookie_sees(&app, &cookie), ALL);

    // The role it already has: nothing ends.
    let out = cli_ok(
        &root,
        &["user", "role", "p1", "--role", "publisher", "--studio", "tunnel-zhang"],
        "",
    );
    assert!(out.contains("未作修改"), "{out}");
    assert_eq!(cookie_sees(&app, &cookie), ALL);

    // Another studio: sessions end, tokens are revoked.
    let out = cli_ok(
        &root,
        &["user", "role", "p1", "--role", "publisher", "--studio", "bridge-li"],
        "",
    );
    assert!(
        out.contains("结束 1 个登录会话") && out.contains("撤销 1 个令牌"),
        "{out}"
    );
    assert_eq!(cookie_sees(&app, &cookie), NOTHING);
    assert_eq!(status_with(&app, ("authorization", &bearer(&token)), MEMBERS_ONLY), 401);
    let moved = session_cookie(&app, "p1", PASSWORD);
    assert_eq!(
        cookie_sees(&app, &moved),
        MEMBER,
        "now bridge-li's: no tunnel studio records"
    );

    // Up (member -> staff) and down (staff -> member) alike.
    let member = session_cookie(&app, "m1", PASSWORD);
    cli_ok(&root, &["user", "role", "m1", "--role", "staff"], "");
    assert_eq!(
        cookie_sees(&app, &member),
        NOTHING,
        "a member cookie does not become staff"
    );
    let staff = session_cookie(&app, "m1", PASSWORD);
    assert_eq!(cookie_sees(&app, &staff), ALL);
    cli_ok(&root, &["user", "role", "m1", "--role", "member"], "");
    assert_eq!(cookie_sees(&app, &staff), NOTHING, "a staff cookie ends when demoted");

    // An edit of accounts.json by hand is seen as well.
    let again = session_cookie(&app, "m1", PASSWORD);
    assert_eq!(cookie_sees(&app, &again), MEMBER);
    let path = root.join("data/accounts.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replace("\"role\": \"member\"", "\"role\": \"staff\"");
    assert_ne!(text, edited);
    std::fs::write(&path, edited).unwrap();
    assert_eq!(cookie_sees(&app, &again), NOTHING);
}

#[test]
fn tokens_revoked_or_created_by_the_cli_apply_at_once() {
    let app = app_with(&[("p1", "publisher", Some("tunnel-zhang"))]);
    let root = app.root.clone();
    let kept = TestApp::token(&root, "p1");
    let out = cli_ok(&root, &["token", "new", "p1", "--label", "ci"], "");
    let ci = out.trim().to_string();
    let by_prefix = cli_ok(&root, &["token", "new", "p1", "--label", "deploy"], "")
        .trim()
        .to_string();
    for token in [&kept, &ci, &by_prefix] {
        assert_eq!(status_with(&app, ("authorization", &bearer(token)), STUDIO_ONLY), 200);
    }
    // By label, and by the shown prefix.
    cli_ok(&root, &["token", "revoke", "p1", "ci"], "");
    cli_ok(&root, &["token", "revoke", "p1", &by_prefix[..11]], "");
    for token in [&ci, &by_prefix] {
        assert_eq!(status_with(&app, ("authorization", &bearer(token)), STUDIO_ONLY), 401);
    }
    assert_eq!(status_with(&app, ("authorization", &bearer(&kept)), STUDIO_ONLY), 200);
    let list = cli_ok(&root, &["token", "list", "p1"], "");
    assert!(
        list.contains("default") && !list.contains("ci\t") && !list.contains("deploy"),
        "{list}"
    );
}

#[test]
fn sign_in_never_redirects_off_site() {
    let app = app_with(&[("m1", "member", None)]);
    let off_site = [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%5Cevil.example",
        "/%2F/evil.example",
        "/%252F%252Fevil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        " //evil.example",
    ];
    for next in off_site {
        let r = form_sign_in(&app, "m1", PASSWORD, next);
        assert_eq!(r.status, 303, "{next:?}: {}", r.body);
        assert_eq!(r.header("location"), Some("/"), "{next:?}");
        assert!(r.header("set-cookie").is_some_and(|c| c.starts_with("zh_session=")));
        // The form shown for it carries `/`, not the address.
        let page = app.get(&format!("/login?next={}", enc(next)));
        assert_eq!(page.status, 200);
        assert!(page.body.contains(r#"name="next" value="/""#), "{next:?}");
        assert!(!page.body.contains("evil.example"), "{next:?}");
    }
    for (next, location) in [
        ("/publish?kind=method", "/publish?kind=method"),
        (
            "/records/tunnel-zhang/members-only",
            "/records/tunnel-zhang/members-only",
        ),
        ("/records/tunnel-zhang/管片", "/records/tunnel-zhang/%E7%AE%A1%E7%89%87"),
        ("", "/"),
    ] {
        let r = form_sign_in(&app, "m1", PASSWORD, next);
        assert_eq!((r.status, r.header("location")), (303, Some(location)), "{next:?}");
    }
    // A failed sign-in shows the form again with a safe `next`.
    let r = form_sign_in(&app, "m1", "wrong-password", "//evil.example");
    assert_eq!(r.status, 401);
    assert!(r.body.contains(r#"name="next" value="/""#) && !r.body.contains("evil.example"));
}

fn retry_after(r: &Response) -> u64 {
    let value = r
        .header("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {}", r.body));
    let secs: u64 = value.parse().unwrap();
    assert!((1..=300).contains(&secs), "{secs}");
    secs
}

#[test]
fn throttled_sign_ins_answer_429_with_retry_after_on_the_form_and_the_api() {
    let app = app_with(&[("m1", "member", None), ("m2", "member", None)]);
    // The form: five failures for (m1, this address), then 429 even with
    // the right password.
    for i in 0..5 {
        assert_eq!(
            form_sign_in(&app, "m1", "wrong-password", "/").status,
            401,
            "attempt {i}"
        );
    }
    for password in ["wrong-password", PASSWORD] {
        let r = form_sign_in(&app, "m1", password, "/");
        assert_eq!(r.status, 429, "{}", r.body);
        retry_after(&r);
        assert!(
            r.body.contains("秒后再试") && r.body.contains(r#"name="username""#),
            "the form again"
        );
        // Names in other letter case count as the same.
        assert_eq!(form_sign_in(&app, "M1", password, "/").status, 429);
    }
    // The API: the same pair is throttled there too, with the JSON error.
    let r = api_sign_in(&app, "m1", PASSWORD);
    assert_eq!(r.status, 429);
    retry_after(&r);
    assert!(r.json()["error"].as_str().unwrap().contains("秒后再试"));
    // Another name from this address is not locked by m1's failures.
    assert_eq!(api_sign_in(&app, "m2", PASSWORD).status, 200);
    for _ in 0..5 {
        assert_eq!(api_sign_in(&app, "m2", "wrong-password").status, 401);
    }
    let r = api_sign_in(&app, "m2", PASSWORD);
    assert_eq!(r.status, 429);
    retry_after(&r);
}

#[test]
fn one_address_cannot_spray_guesses_over_many_names() {
    let app = app_with(&[("m1", "member", None)]);
    // 20 failures per address over all names, 4 per name: no pair reaches 5.
    for i in 0..20 {
        let name = format!("guess{}", i / 4);
        assert_eq!(api_sign_in(&app, &name, "wrong-password").status, 401, "attempt {i}");
    }
    let r = api_sign_in(&app, "someone-else", "wrong-password");
    assert_eq!(r.status, 429);
    let secs = retry_after(&r);
    assert!(secs > 250, "{secs}");
    let r = form_sign_in(&app, "m1", PASSWORD, "/");
    assert_eq!(r.status, 429, "the whole address waits");
    retry_after(&r);
}

/// The server listening on IPv6 and IPv4 at once, so that a test can come
/// from two addresses: `127.0.0.1` and `::1`.
struct DualStack {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl DualStack {
    fn start(dir: tempfile::TempDir) -> Option<DualStack> {
        let listener = TcpListener::bind("[::]:0").ok()?;
        let port = listener.local_addr().ok()?.port();
        drop(listener);
        let child = Command::new(BIN)
            .args(["serve", "--addr", &format!("[::]:{port}")])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = DualStack { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.get("127.0.0.1", "/healthz") == Some(200) && server.get("::1", "/healthz") == Some(200) {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not start on port {port}");
    }

    fn raw(&self, host: &str, request: String) -> Option<String> {
        let addr = if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        };
        let mut stream = TcpStream::connect(addr).ok()?;
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    }

    fn get(&self, host: &str, path: &str) -> Option<u16> {
        let answer = self.raw(
            host,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )?;
        status_of(&answer)
    }

    /// A JSON sign-in; the status and the whole answer.
    fn post(&self, host: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let answer = self.raw(
            host,
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )?;
        Some((status_of(&answer)?, answer))
    }

    fn sign_in(&self, host: &str, name: &str, password: &str) -> (u16, String) {
        let body = json!({"username": name, "password": password}).to_string();
        self.post(host, "/api/session", &body).unwrap()
    }
}

impl Drop for DualStack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_of(answer: &str) -> Option<u16> {
    answer.split(' ').nth(1)?.parse().ok()
}

#[test]
fn failures_from_another_address_never_lock_out_the_right_password() {
    let Some(server) = DualStack::start(folder_with(&[("victim", "member", None)])) else {
        panic!("IPv6 loopback is not available: cannot test two client addresses");
    };
    // The attacker (127.0.0.1) fails far past every limit on the victim.
    let mut throttled = 0;
    for _ in 0..12 {
        let (status, _) = server.sign_in("127.0.0.1", "victim", "guess-guess");
        assert!(status == 401 || status == 429, "{status}");
        throttled += usize::from(status == 429);
    }
    assert!(throttled >= 6, "the attacker is throttled ({throttled})");
    let (status, answer) = server.sign_in("127.0.0.1", "victim", PASSWORD);
    assert_eq!(status, 429, "the attacker's pair stays locked even when right");
    assert!(answer.to_ascii_lowercase().contains("retry-after:"));
    // The owner, from ::1, signs in with the right password.
    let (status, answer) = server.sign_in("::1", "victim", PASSWORD);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("zh_session="));
    // And a typo of the owner's own counts against the owner's pair only.
    assert_eq!(server.sign_in("::1", "victim", "typo-typo").0, 401);
    assert_eq!(server.sign_in("::1", "victim", PASSWORD).0, 200);
}

#[test]
fn concurrent_sign_ins_do_not_stall_other_requests() {
    let app = app_with(&[("m1", "member", None)]);
    let app = std::sync::Arc::new(app);
    // Baseline /healthz latency with nothing else running.
    let time_health = |app: &TestApp| {
        let started = Instant::now();
        assert_eq!(app.get("/healthz").status, 200);
        started.elapsed()
    };
    let mut idle: Vec<Duration> = (0..20).map(|_| time_health(&app)).collect();
    idle.sort();
    let signing_in: Vec<_> = (0..48)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || api_sign_in(&app, "m1", PASSWORD).status)
        })
        .collect();
    let started = Instant::now();
    let mut busy = Vec::new();
    while !signing_in.iter().all(|t| t.is_finished()) && started.elapsed() < Duration::from_secs(60) {
        busy.push(time_health(&app));
        std::thread::sleep(Duration::from_millis(5));
    }
    let all_signed_in = started.elapsed();
    for t in signing_in {
        assert_eq!(t.join().unwrap(), 200);
    }
    busy.sort();
    let p = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    eprintln!(
        "48 sign-ins in {:.0} ms; /healthz idle p50 {:.1} ms, during: n {} p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        all_signed_in.as_secs_f64() * 1000.0,
        p(&idle, 0.5).as_secs_f64() * 1000.0,
        busy.len(),
        p(&busy, 0.5).as_secs_f64() * 1000.0,
        p(&busy, 0.99).as_secs_f64() * 1000.0,
        busy[busy.len() - 1].as_secs_f64() * 1000.0,
    );
    assert!(busy.len() >= 5, "sign-ins took long enough to measure");
    // Generous for a shared machine (checked in a pool: p99 9-16 ms);
    // hashing on the async workers gave p99 890-905 ms, max 1.4-2.3 s.
    assert!(p(&busy, 0.5) < Duration::from_millis(50), "median {:?}", p(&busy, 0.5));
    assert!(p(&busy, 0.99) < Duration::from_millis(300), "p99 {:?}", p(&busy, 0.99));
}

#[test]
fn every_refused_cli_command_exits_non_zero_and_changes_nothing() {
    let dir = folder_with(&[("m1", "member", None)]);
    let root = dir.path();
    let accounts = root.join("data/accounts.json");
    let before = std::fs::read(&accounts).unwrap();
    let refused: &[(&[&str], &str)] = &[
        (&["user", "add", "short", "--role", "member"], "1234567\n"),
        (&["user", "add", "short", "--role", "member"], ""),
        (&["user", "add", "short", "--role", "member"], "短密码\n"),
        (&["user", "add", "has space", "--role", "member"], "password-123\n"),
        (&["user", "add", "bad/name", "--role", "member"], "password-123\n"),
        (&["user", "add", "m1", "--role", "member"], "password-123\n"),
        (&["user", "add", "M1", "--role", "staff"], "password-123\n"),
        (&["user", "add", "x", "--role", "admin"], "password-123\n"),
        (&["user", "add", "x", "--role", "publisher"], "password-123\n"),
        (
            &["user", "add", "x", "--role", "member", "--studio", "bridge-li"],
            "password-123\n",
        ),
        (
            &["user", "add", "x", "--role", "publisher", "--studio", "no-such"],
            "password-123\n",
        ),
        (
            &["user", "add", "x", "--role", "publisher", "--studio", "../etc"],
            "password-123\n",
        ),
        (&["user", "passwd", "m1"], "short\n"),
        (&["user", "passwd", "nobody"], "password-123\n"),
        (&["user", "remove", "nobody"], ""),
        (&["user", "role", "nobody", "--role", "staff"], ""),
        (&["user", "role", "m1", "--role", "publisher"], ""),
        (
            &["user", "role", "m1", "--role", "publisher", "--studio", "no-such"],
            "",
        ),
        (&["user", "role", "m1", "--role", "root"], ""),
        (&["token", "new", "nobody"], ""),
        (&["token", "new", "m1", "--label", "zh_looks_like_a_token"], ""),
        (&["token", "list", "nobody"], ""),
        (&["token", "revoke", "m1", "no-such-label"], ""),
        (&["token", "revoke", "nobody", "default"], ""),
    ];
    for (args, stdin) in refused {
        let out = cli(root, args, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?} {stdin:?} should be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("错误："), "{args:?}: {stderr}");
        assert_eq!(
            std::fs::read(&accounts).unwrap(),
            before,
            "{args:?} changed the accounts"
        );
    }
    // A short password names the rule.
    let out = cli(root, &["user", "add", "short", "--role", "member"], "1234567\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("密码至少 8 个字符"));

    // A data folder that cannot be used at all: exit 2.
    std::fs::write(&accounts, "{ not json").unwrap();
    for args in [
        &["user", "list"][..],
        &["token", "list", "m1"],
        &["user", "remove", "m1"],
    ] {
        let out = cli(root, args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("已损坏"));
    }
    assert_eq!(std::fs::read_to_string(&accounts).unwrap(), "{ not json");
    // Wrong arguments are refused by the parser (exit 2) as before.
    assert_eq!(cli(root, &["user", "add"], "").status.code(), Some(2));
}
