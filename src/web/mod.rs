//! The HTTP adapter: the one route table, shared state, security headers,
//! request logging and graceful shutdown. Handlers only translate between
//! HTTP and the domain modules, one file per area, named after the routes
//! they answer so that a page is one hop from the table below: `pages`
//! (HTML: `search`, `record`, `profiles` for alliances, `studios` for
//! the studio directory and `/api/studios`, `patents` for the patent
//! watch, its JSON and calendar feed, `login`, `errors`, `static_files`;
//! the page frame `Chrome`
//! and the bounded Markdown renderer in `pages/mod.rs`), `api` (JSON reads
//! and health), `records_api` (the JSON writes on `/api/records/…`,
//! preview and novelty check), `form` (the publishing form), `exhibits`
//! (exhibit pages, print boards, builder, offline copy), `review`,
//! `history`, `files` (bundle files and uploads), `requests` (adoption
//! requests, 申请对接), `feeds` (Atom feeds), `problems` (the
//! 劳模帮帮团 board, its print list and workflow steps), `stats` (statistics,
//! their files and the annual report) and `session` (who is asking,
//! signing in and out, the CSRF check); `params` reads and writes
//! search URLs, `error` is the one `AppError`, `i18n` the interface's
//! words. The content watcher is not HTTP: `serve` starts
//! `crate::watch`.

mod api;
mod changes;
pub mod clock;
mod error;
mod exhibits;
mod facets;
pub(crate) mod feeds;
mod files;
mod form;
mod history;
pub mod i18n;
mod pages;
mod params;
mod problems;
mod records_api;
mod requests;
mod review;
mod session;
mod stats;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};

pub use error::AppError;

use crate::auth::Accounts;
use crate::auth::Sessions;
use crate::auth::SignInThrottle;
use crate::publish::Publisher;
use crate::search::Engine;

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub accounts: Arc<Accounts>,
    pub sessions: Arc<Sessions>,
    /// Failed sign-ins per (name, address) and per address.
    pub sign_in_limits: Arc<SignInThrottle>,
    /// Password checks (argon2) running at once: a few, off the async
    /// workers, so that a burst of sign-ins queues instead of taking every
    /// core from the searches and pages.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    pub publisher: Arc<Publisher>,
    /// Adoption requests (申请对接), under `data/requests/`.
    pub requests: Arc<crate::requests::Requests>,
    /// Mark the session cookie `Secure` (when served behind TLS).
    pub secure_cookies: bool,
    /// The time zone times are shown in (Beijing time unless set).
    pub clock: clock::Clock,
    /// The site's public address (`--public-url`), the base of the QR
    /// codes on printed boards; a relative path in a QR code is useless.
    pub public_url: Option<String>,
}

impl AppState {
    /// Opens accounts and sessions under `data_dir` beside the engine.
    pub fn new(engine: Arc<Engine>, data_dir: &Path, secure_cookies: bool) -> anyhow::Result<AppState> {
        Ok(AppState {
            accounts: Arc::new(Accounts::open(data_dir)?),
            sessions: Arc::new(Sessions::open(data_dir)?),
            sign_in_limits: Arc::new(SignInThrottle::default()),
            password_checks: Arc::new(tokio::sync::Semaphore::new(session::password_check_slots())),
            publisher: Arc::new(Publisher::new(engine.clone(), data_dir)),
            requests: Arc::new(crate::requests::Requests::open(data_dir)),
            engine,
            secure_cookies,
            clock: clock::Clock::default(),
            public_url: None,
        })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::search::search))
        .route("/search", get(pages::search::search))
        .route("/records/{*id}", get(pages::record::record_or_file))
        .route("/studios", get(pages::studios::studios))
        .route("/studios/{id}", get(pages::studios::studio))
        .route("/api/studios", get(pages::studios::api_studios))
        .route("/patents", get(pages::patents::patents_page))
        .route("/patents.ics", get(pages::patents::patents_ics))
        .route("/api/patents", get(pages::patents::api_patents))
        .route("/problems", get(problems::board_page))
        .route("/problems/print", get(problems::board_print))
        .route("/problems/{*id}", post(problems::step_form))
        .route("/api/problems", get(problems::board_api))
        .route("/alliances", get(pages::profiles::alliances))
        .route("/alliances/{id}", get(pages::profiles::alliance))
        .route("/exhibits", get(exhibits::list).post(exhibits::create))
        .route("/exhibits/{id}", get(exhibits::show))
        .route("/exhibits/{id}/print", get(exhibits::print))
        .route(
            "/exhibits/{id}/edit",
            get(exhibits::edit_page).post(exhibits::edit_submit),
        )
        .route("/exhibits/{id}/export.zip", get(exhibits::export_zip))
        .route("/add-to-exhibit", get(exhibits::add_page).post(exhibits::add_submit))
        .route("/api/exhibits/{id}", get(exhibits::get_api).put(exhibits::put_api))
        .route("/static/{file}", get(pages::static_files::static_file))
        .route("/healthz", get(api::health))
        .route("/api/search", get(api::search))
        .route("/api/facets/{field}", get(facets::api))
        .route("/search/facets/{field}", get(facets::page))
        .route("/api/suggest", get(api::suggest))
        .route("/api/similar", get(api::similar))
        .route("/api/stats", get(stats::api))
        .route("/stats", get(stats::page))
        .route("/stats.csv", get(stats::csv))
        .route("/stats.xlsx", get(stats::xlsx))
        .route("/reports/{file}", get(stats::report))
        // Approve and return are `POST /api/records/{id}/approve` and
        // `…/return`, answered by the record's own POST: the id is a
        // wildcard that may hold slashes, so the action can only be a suffix
        // of the same route (axum allows no further route below a wildcard),
        // and `records_api::review_action` splits it off.
        .route(
            "/api/records/{*id}",
            get(api::record)
                .put(records_api::put_record)
                .delete(records_api::delete_record)
                .post(records_api::review_action),
        )
        .route("/requests", get(requests::list_page).post(requests::form_submit))
        .route("/requests/new", get(requests::form_page))
        .route("/requests/{id}/state", post(requests::state_submit))
        .route("/api/requests", get(requests::api_list).post(requests::api_create))
        .route("/api/requests/{id}", get(requests::api_get))
        .route("/api/requests/{id}/state", post(requests::api_state))
        .route("/search.atom", get(feeds::search_feed))
        .route("/feeds/records.atom", get(feeds::records_feed))
        .route("/feeds/problems.atom", get(feeds::problems_feed))
        .route("/feeds/{area}/{file}", get(feeds::area_feed))
        .route("/feeds/{area}/{id}/{file}", get(feeds::area_problems_feed))
        .route("/api/session", post(session::create).delete(session::delete))
        .route("/api/preview", post(records_api::preview))
        .route("/api/novelty", post(records_api::novelty))
        .route("/login", get(pages::login::login).post(session::login_form))
        .route("/logout", post(session::logout_form))
        .route(
            "/publish",
            get(form::form_page)
                .post(form::form_submit)
                .layer(DefaultBodyLimit::max(form::MAX_FORM_BYTES)),
        )
        .route(
            "/api/drafts/{draft}",
            post(files::upload_draft).layer(DefaultBodyLimit::max(crate::publish::MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .route("/drafts/{draft}/{*path}", get(files::draft_file))
        .route("/review-files/{*path}", get(files::review_file))
        .route("/review", get(review::review_list))
        .route("/review/{*id}", get(review::review_show).post(review::review_submit))
        .route("/history/{*id}", get(history::history))
        .route(
            "/api/files/{*path}",
            put(files::put_file).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/upload/{*id}",
            post(files::upload_form).layer(DefaultBodyLimit::max(crate::publish::MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .fallback(pages::errors::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), error::error_responses))
        .layer(middleware::from_fn(remember_lang))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(cache_control))
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
        .with_state(state)
}

/// Runs blocking domain work (searches, index commits, fsyncs) off the
/// async workers; a panic in it becomes an internal error.
pub async fn unblock<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

/// Brings the index up to date with `catch_up`, then serves until Ctrl-C
/// or SIGTERM, applying content edits as they happen.
pub async fn serve(
    engine: Arc<Engine>,
    catch_up: impl FnOnce() -> anyhow::Result<()> + Send + 'static,
    addr: SocketAddr,
    data_dir: &Path,
    secure_cookies: bool,
    clock: clock::Clock,
    public_url: Option<String>,
) -> anyhow::Result<()> {
    // Watching starts before catching up, so that no edit made meanwhile is
    // missed; registering the watches walks the folders too, so the two
    // run side by side.
    let watching = {
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || crate::watch::spawn(engine))
    };
    tokio::task::spawn_blocking(catch_up).await??;
    let _watcher = watching.await??;
    let mut state = AppState::new(engine, data_dir, secure_cookies)?;
    state.clock = clock;
    state.public_url = public_url;
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("无法监听 {addr}：{e}"))?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

async fn log_requests(State(_): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    response
}

/// Defence in depth behind the sanitiser: even if some HTML slipped
/// through, the browser runs no inline script and no script from elsewhere.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// Every answer but the static files depends on who asks (what they may
/// see, their name in the header, their CSRF token), so none may be kept by
/// a shared cache or reused for another account.
async fn cache_control(request: Request, next: Next) -> Response {
    let shared = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    if !shared {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        headers.append(header::VARY, HeaderValue::from_static("Cookie, Authorization"));
    }
    response
}

/// `?lang=en` switches the interface and is remembered in a cookie.
async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| i18n::Lang::parse(&v))
    });
    let mut response = next.run(request).await;
    let cookie = chosen.map(|lang| {
        cookie::Cookie::build(("lang", lang.code()))
            .path("/")
            .max_age(cookie::time::Duration::days(365))
            .same_site(cookie::SameSite::Lax)
            .build()
            .to_string()
    });
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
