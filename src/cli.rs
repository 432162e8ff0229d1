//! The `zhihui` command line: argument parsing and printing, nothing else.
//! Each command calls into the domain modules and returns an exit code;
//! errors are printed with their chain of causes.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::Sessions;
use crate::auth::{Accounts, AuthError, NewRole};
use crate::content::load;
use crate::search::{Engine, SyncReport};

#[derive(Parser)]
#[command(name = "zhihui", version, about = "智汇：创新工作室联盟成果知识库")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Paths {
    /// Content folder (the Markdown files).
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// Index folder (derived; safe to delete).
    #[arg(long, default_value = "index")]
    index: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Bring the index up to date, then serve the web app and JSON API.
    Serve {
        #[command(flatten)]
        paths: Paths,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Accounts, sessions, version history and audit log.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Mark the session cookie Secure (set when served over HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// Time zone of the times shown (history, review): Asia/Shanghai
        /// (Beijing time), UTC, or a fixed offset such as +08:00.
        #[arg(long, default_value = "Asia/Shanghai", value_parser = crate::web::clock::Clock::parse)]
        time_zone: crate::web::clock::Clock,
        /// The site's public address (https://…), the base of the QR codes
        /// printed on exhibit boards.
        #[arg(long, value_parser = public_url)]
        public_url: Option<String>,
    },
    /// Bring the index up to date (only what changed), or rebuild it.
    Index {
        #[command(flatten)]
        paths: Paths,
        /// Start from an empty index.
        #[arg(long)]
        rebuild: bool,
    },
    /// Validate every file; print each problem as path:line: field: message.
    Check {
        #[arg(long, default_value = "content")]
        content: PathBuf,
    },
    /// Print the fields of a record (or, with --studio, of a studio
    /// profile) as the table of the content format.
    Fields {
        #[arg(long)]
        studio: bool,
    },
    /// The patent watch, read from the files.
    Patents {
        #[command(subcommand)]
        action: PatentsAction,
    },
    /// Write an offline copy (static HTML, images, QR codes) of content.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Figures over the index (brought up to date first), as staff see
    /// them unless --public: e.g. --by alliance --by kind --year 2024.
    Stats(StatsArgs),
    /// Manage accounts (passwords are read from standard input).
    User {
        #[command(subcommand)]
        action: UserAction,
        #[arg(long, default_value = "data", global = true)]
        data: PathBuf,
        /// Where publishers' studios are checked to exist.
        #[arg(long, default_value = "content", global = true)]
        content: PathBuf,
    },
    /// Manage API tokens (`Authorization: Bearer TOKEN`).
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[arg(long, default_value = "data", global = true)]
        data: PathBuf,
    },
}

#[derive(clap::Args)]
struct StatsArgs {
    #[command(flatten)]
    paths: Paths,
    /// Group by (at most two): kind, category, alliance, studio, year,
    /// award_level, award_year, patent_type, patent_status, grant_year,
    /// method_level, problem_status, studio_stars, studio_type, tag.
    #[arg(long)]
    by: Vec<String>,
    /// Only figures dated in this year (same as --from Y --to Y).
    #[arg(long)]
    year: Option<i32>,
    #[arg(long)]
    from: Option<i32>,
    #[arg(long)]
    to: Option<i32>,
    /// Words to search for, as in the search box.
    #[arg(long, default_value = "")]
    q: String,
    /// Only these alliances' / studios' / kinds' records (repeatable).
    #[arg(long)]
    alliance: Vec<String>,
    #[arg(long)]
    studio: Vec<String>,
    #[arg(long)]
    kind: Vec<String>,
    /// Count only public records, as an anonymous visitor sees them.
    #[arg(long)]
    public: bool,
    /// table | csv | json | xlsx
    #[arg(long, default_value = "table")]
    format: String,
    /// Write to this file instead of standard output (needed for xlsx).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The site's address (e.g. http://zhihui.example:8080), to make the
    /// 成果清单's links in xlsx whole.
    #[arg(long, default_value = "")]
    site: String,
}

#[derive(Subcommand)]
enum ExportWhat {
    /// An exhibit and the pages of its public records, as a folder that
    /// opens from a USB stick without a server.
    Exhibit {
        /// The exhibit's id (`content/exhibits/<id>.md`).
        id: String,
        /// Folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "content")]
        content: PathBuf,
        /// The site's public address, for the QR codes (none without it).
        #[arg(long, value_parser = public_url)]
        public_url: Option<String>,
    },
}

/// A public address must be absolute: a QR code of a path opens nothing.
fn public_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "应以 https:// 或 http:// 开头，例如 https://zhihui.example.cn".to_string())?;
    if rest.is_empty() || rest.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
        return Err("应为网站的地址，例如 https://zhihui.example.cn（不含空格、? 或 #）".into());
    }
    Ok(url.to_string())
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; reads the password from standard input.
    Add {
        name: String,
        /// member | publisher | staff
        #[arg(long)]
        role: String,
        /// The studio a publisher writes for.
        #[arg(long)]
        studio: Option<String>,
    },
    /// List accounts.
    List,
    /// Remove an account (and sign it out).
    Remove { name: String },
    /// Set a new password, read from standard input (signs the account out).
    Passwd { name: String },
    /// Change an account's role or studio (signs it out, revokes its tokens).
    Role {
        name: String,
        /// member | publisher | staff
        #[arg(long)]
        role: String,
        /// The studio a publisher writes for.
        #[arg(long)]
        studio: Option<String>,
    },
}

#[derive(Subcommand)]
enum PatentsAction {
    /// Annual fees due, terms ending and applications pending long, as a
    /// table (tab-separated) or JSON.
    Due {
        #[arg(long, default_value = "content")]
        content: PathBuf,
        /// Annual fees due within this many days.
        #[arg(long, default_value_t = crate::patents::DEFAULT_WITHIN)]
        within: i64,
        /// Terms ending within this many days.
        #[arg(long, default_value_t = crate::patents::DEFAULT_LAPSE_WITHIN)]
        lapse_within: i64,
        /// Applications pending for more than this many days.
        #[arg(long, default_value_t = crate::patents::DEFAULT_PENDING_OVER)]
        pending_over: i64,
        /// Only this studio's patents.
        #[arg(long)]
        studio: Option<String>,
        /// Only the patents of this alliance's studios.
        #[arg(long)]
        alliance: Option<String>,
        /// table | json
        #[arg(long, default_value = "table")]
        format: String,
        /// Count from this day (YYYY-MM-DD) instead of today in Beijing time.
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Print a new API token for the account (shown once).
    New {
        name: String,
        #[arg(long, default_value = "default")]
        label: String,
        /// A read-only calendar feed token, for `/patents.ics?token=…`
        /// (refused as a bearer token anywhere else).
        #[arg(long)]
        feed: bool,
    },
    /// List an account's tokens (labels and prefixes, never the tokens).
    List { name: String },
    /// Revoke a token by label or prefix.
    Revoke { name: String, label: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("错误：{err:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { content } => check(&content),
        Command::Fields { studio } => {
            print!(
                "{}",
                if studio {
                    crate::content::spec::studio_markdown_table()
                } else {
                    crate::content::spec::markdown_table()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Patents { action } => patents(action),
        Command::Index { paths, rebuild } => {
            // A rebuild does not read the old index: it may be unreadable.
            let engine = match rebuild {
                true => Engine::open_empty(&paths.content, &paths.index),
                false => Engine::open(&paths.content, &paths.index),
            }
            .context("无法打开索引")?;
            let report = engine.sync(rebuild, &progress_printer()).context("索引失败")?;
            print_report(&report);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats(args) => stats(args),
        Command::User { action, data, content } => user(action, &data, &content),
        Command::Export {
            what:
                ExportWhat::Exhibit {
                    id,
                    out,
                    content,
                    public_url,
                },
        } => export_exhibit(&id, &out, &content, public_url.as_deref()),
        Command::Token { action, data } => token(action, &data),
        Command::Serve {
            paths,
            addr,
            data,
            secure_cookies,
            time_zone,
            public_url,
        } => {
            let engine = Arc::new(Engine::open(&paths.content, &paths.index).context("无法打开索引")?);
            let catch_up = {
                let engine = engine.clone();
                move || -> anyhow::Result<()> {
                    let report = engine.sync(false, &progress_printer()).context("索引失败")?;
                    for problem in report.problems.iter().filter(|p| p.problem.is_error()) {
                        tracing::warn!("{problem}");
                    }
                    tracing::info!(
                        indexed = report.indexed,
                        unchanged = report.unchanged,
                        skipped = report.skipped,
                        ms = report.elapsed.as_millis() as u64,
                        "index up to date"
                    );
                    Ok(())
                }
            };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(crate::web::serve(
                engine,
                catch_up,
                addr,
                &data,
                secure_cookies,
                time_zone,
                public_url,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `zhihui export exhibit`: read from the files (no index needed, so it
/// runs beside a server), only public records.
fn export_exhibit(id: &str, out: &Path, content: &Path, public_url: Option<&str>) -> anyhow::Result<ExitCode> {
    use crate::content::{Document, parse_document};
    use crate::exhibit::export;
    let scan = load::scan(content).with_context(|| format!("无法读取内容文件夹 {}", content.display()))?;
    let profiles = load::load_profiles(content, &scan);
    let Some(exhibit) = profiles.exhibits.get(id) else {
        let known: Vec<String> = profiles.exhibits.keys().cloned().collect();
        match crate::content::closest(id, &known) {
            Some(best) => eprintln!("找不到成果展“{id}”，是否应为“{best}”？"),
            None => eprintln!("找不到成果展“{id}”（content/exhibits/{id}.md 不存在或有错误，可用 zhihui check 查看）"),
        }
        return Ok(ExitCode::from(1));
    };
    let known = profiles.known_ids(None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let source = export::Source {
        exhibit,
        profiles: &profiles,
        content_root: content,
        public_url,
        now,
    };
    let built = export::build(&source, |wanted| {
        let file = scan.documents.iter().find(|d| d.id == wanted)?;
        let text = std::fs::read_to_string(content.join(&file.rel)).ok()?;
        match parse_document(wanted, &text, &known) {
            Ok((Document::Record(record), _)) => Some(export::Found {
                record: *record,
                rel: file.rel.clone(),
            }),
            _ => None,
        }
    });
    export::write_dir(&built, out).with_context(|| format!("无法写入 {}", out.display()))?;
    println!(
        "已导出成果展“{}”：{} 项{}，打开 {}",
        exhibit.title,
        built.shown,
        if built.left_out > 0 {
            format!("（另有 {} 项非公开或找不到，未导出）", built.left_out)
        } else {
            String::new()
        },
        out.join("index.html").display()
    );
    if public_url.is_none() {
        eprintln!("提示：未设置 --public-url，展项不带二维码");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints `done/total` on one line when stderr is a terminal and the
/// folder is large enough for it to matter.
fn progress_printer() -> impl Fn(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if terminal && total >= 2000 {
            eprint!("\r索引中 {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    }
}

fn print_report(report: &SyncReport) {
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    println!(
        "{}：索引 {} 个文件，跳过 {} 个有错误的文件，删除 {} 个，未变 {} 个，用时 {:.2} 秒",
        if report.rebuilt { "重建完成" } else { "更新完成" },
        report.indexed,
        report.skipped,
        report.removed,
        report.unchanged,
        report.elapsed.as_secs_f64()
    );
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("密码：");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("无法从标准输入读取密码")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// A publisher's studio must have a profile under `content/studios/`.
fn check_studio(content: &Path, studio: &str) -> anyhow::Result<()> {
    let studios = content.join("studios");
    if studios.join(format!("{studio}.md")).is_file() {
        return Ok(());
    }
    let known: Vec<String> = std::fs::read_dir(&studios)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".md"))
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    match crate::content::closest(studio, &known) {
        Some(best) => anyhow::bail!("找不到工作室“{studio}”（{}），是否应为“{best}”？", studios.display()),
        None => anyhow::bail!("找不到工作室“{studio}”：{} 中没有 {studio}.md", studios.display()),
    }
}

/// The exit code of a failed `user` or `token` command: 2 when it could
/// not run at all (the data folder or a file in it cannot be read or
/// written), 1 when it refused what it was asked (bad name, short password,
/// unknown account, …). Either way the error is printed and nothing changed.
fn refused(err: anyhow::Error) -> anyhow::Result<ExitCode> {
    let could_not_run = err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<AuthError>(),
            Some(AuthError::Io { .. } | AuthError::Corrupt { .. } | AuthError::Random(_) | AuthError::Hash(_))
        )
    });
    if could_not_run {
        return Err(err);
    }
    eprintln!("错误：{err:#}");
    Ok(ExitCode::FAILURE)
}

fn user(action: UserAction, data: &Path, content: &Path) -> anyhow::Result<ExitCode> {
    user_action(action, data, content).or_else(refused)
}

fn user_action(action: UserAction, data: &Path, content: &Path) -> anyhow::Result<ExitCode> {
    let accounts = Accounts::open(data)?;
    match action {
        UserAction::Add { name, role, studio } => {
            let role = NewRole::parse(&role, studio.as_deref())?;
            if let NewRole::Publisher { studio } = &role {
                check_studio(content, studio)?;
            }
            accounts.add(&name, role, &read_password()?)?;
            println!("已创建账号 {name}");
        }
        UserAction::List => {
            for a in accounts.list() {
                println!("{}\t{}\t{}", a.name, a.role, a.studio.unwrap_or_default());
            }
        }
        UserAction::Remove { name } => {
            let id = accounts.remove(&name)?;
            // The account's sessions already stopped working; this clears
            // them from the sessions file.
            let signed_out = Sessions::open(data)?.remove_account(&id)?;
            println!("已删除账号 {name}（结束 {signed_out} 个登录会话，撤销其全部令牌）");
        }
        UserAction::Passwd { name } => {
            let id = accounts.set_password(&name, &read_password()?)?;
            let signed_out = Sessions::open(data)?.remove_account(&id)?;
            println!("已修改 {name} 的密码（结束 {signed_out} 个登录会话；API 令牌不受影响）");
        }
        UserAction::Role { name, role, studio } => {
            let role = NewRole::parse(&role, studio.as_deref())?;
            if let NewRole::Publisher { studio } = &role {
                check_studio(content, studio)?;
            }
            let change = accounts.set_role(&name, role)?;
            if change.changed {
                let signed_out = Sessions::open(data)?.remove_account(&change.id)?;
                println!(
                    "已修改 {name} 的角色（结束 {signed_out} 个登录会话，撤销 {} 个令牌）",
                    change.revoked_tokens
                );
            } else {
                println!("{name} 已是该角色，未作修改");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token(action: TokenAction, data: &Path) -> anyhow::Result<ExitCode> {
    token_action(action, data).or_else(refused)
}

fn token_action(action: TokenAction, data: &Path) -> anyhow::Result<ExitCode> {
    let accounts = Accounts::open(data)?;
    match action {
        TokenAction::New {
            name,
            label,
            feed: false,
        } => println!("{}", accounts.new_token(&name, &label)?),
        TokenAction::New {
            name,
            label,
            feed: true,
        } => println!("{}", accounts.new_feed_token(&name, &label)?),
        TokenAction::List { name } => {
            for t in accounts.list_tokens(&name)? {
                let feed = if t.feed { "\t日历订阅" } else { "" };
                println!("{}\t{}{feed}", t.label, t.prefix);
            }
        }
        TokenAction::Revoke { name, label } => {
            let revoked = accounts.revoke_token(&name, &label)?;
            println!("已撤销令牌 {}（{}）", revoked.label, revoked.prefix);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `zhihui patents due`: exit 1 when an option is wrong (nothing printed
/// on standard output), 2 when the folder cannot be read.
fn patents(action: PatentsAction) -> anyhow::Result<ExitCode> {
    let PatentsAction::Due {
        content,
        within,
        lapse_within,
        pending_over,
        studio,
        alliance,
        format,
        today,
    } = action;
    use crate::patents::{self, MAX_DAYS, WatchOptions};
    let refuse = |message: String| {
        eprintln!("{message}");
        Ok(ExitCode::from(1))
    };
    let today = match today.as_deref().map(patents::dates::parse_date) {
        None => patents::today_in_beijing(),
        Some(Some(day)) => day,
        Some(None) => return refuse("--today 应为 YYYY-MM-DD 格式的日期".into()),
    };
    for (name, days) in [
        ("--within", within),
        ("--lapse-within", lapse_within),
        ("--pending-over", pending_over),
    ] {
        if !(0..=MAX_DAYS).contains(&days) {
            return refuse(format!("{name} 应为 0 到 {MAX_DAYS} 之间的天数"));
        }
    }
    if !matches!(format.as_str(), "table" | "json") {
        return refuse(format!("--format 应为 table 或 json，而不是“{format}”"));
    }
    let (facts, profiles) =
        patents::from_files(&content).with_context(|| format!("无法读取内容目录 {}", content.display()))?;
    for (name, wanted, known) in [
        ("工作室", &studio, profiles.studios.keys().cloned().collect::<Vec<_>>()),
        ("联盟", &alliance, profiles.alliances.keys().cloned().collect()),
    ] {
        if let Some(id) = wanted
            && !known.contains(id)
        {
            return refuse(format!("找不到{name}“{id}”"));
        }
    }
    let options = WatchOptions {
        today,
        within,
        lapse_within,
        pending_over,
        studio,
        alliance,
    };
    let watch = patents::watch(&facts, &profiles, &options);
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&watch)?);
        return Ok(ExitCode::SUCCESS);
    }
    let label = |field: &str, value: &str| {
        crate::content::spec::choice_label(field, value, false).map_or_else(|| value.to_string(), String::from)
    };
    println!("事项\t日期\t天数\t记录\t标题\t专利类型\t申请号\t工作室");
    let lists = [
        ("年费", &watch.fees_due),
        ("期满", &watch.lapsing),
        ("久审", &watch.long_pending),
    ];
    for (what, list) in lists {
        for w in list.iter() {
            let days = w.days_left.or(w.days_pending).unwrap_or_default();
            let date = match what {
                "年费" => w.next_fee,
                "期满" => w.term_end,
                _ => w.filing_date,
            };
            println!(
                "{what}\t{}\t{days}\t{}\t{}\t{}\t{}\t{}",
                date.map(|d| d.to_string()).unwrap_or_default(),
                w.id,
                w.title,
                label("patent_type", &w.patent_type),
                w.application_no.as_deref().unwrap_or(""),
                w.studio_name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks every file of `content`, printing all problems; exit 1 on errors.
fn stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    use crate::search::{FacetField, SearchRequest};
    use crate::stats::{StatsQuery, export};
    let by = match crate::stats::parse_dimensions(args.by.iter().map(String::as_str)) {
        Ok(by) => by,
        Err(message) => return refused(anyhow::anyhow!(message)),
    };
    let format = args.format.as_str();
    if !matches!(format, "table" | "csv" | "json" | "xlsx") {
        return refused(anyhow::anyhow!(
            "未知的输出格式“{format}”，应为 table | csv | json | xlsx"
        ));
    }
    if format == "xlsx" && args.out.is_none() {
        return refused(anyhow::anyhow!(
            "xlsx 是二进制文件，请用 --out 文件名.xlsx 指定写到哪里"
        ));
    }
    let (from, to) = match args.year {
        Some(y) => (Some(y), Some(y)),
        None => (args.from, args.to),
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return refused(anyhow::anyhow!("起始年份 {f} 晚于截止年份 {t}"));
    }
    let engine = Engine::open(&args.paths.content, &args.paths.index).context("无法打开索引")?;
    engine.sync(false, &|_, _| {}).context("索引失败")?;
    let mut request = SearchRequest {
        q: args.q.clone(),
        ..SearchRequest::default()
    };
    for (field, values) in [
        (FacetField::Alliance, &args.alliance),
        (FacetField::Studio, &args.studio),
        (FacetField::Kind, &args.kind),
    ] {
        if !values.is_empty() {
            request.filters.insert(field, values.clone());
        }
    }
    let viewer = match args.public {
        true => crate::auth::Viewer::anonymous(),
        false => crate::auth::Viewer::staff("zhihui stats"),
    };
    let query = StatsQuery { by, from, to };
    let table = engine.stats(&request, &viewer, &query).context("统计失败")?;
    let profiles = engine.snapshot().profiles.clone();
    let bytes = match format {
        "csv" => export::csv(&table, &profiles),
        "json" => {
            let mut text = serde_json::to_string_pretty(&export::json(&table, &profiles))?;
            text.push('\n');
            text.into_bytes()
        }
        "xlsx" => {
            let name = if table.query.by.is_empty() {
                "合计".to_string()
            } else {
                let dims: Vec<&str> = table.query.by.iter().map(|d| d.zh()).collect();
                format!("按{}", dims.join("和"))
            };
            let mut listed = request.clone();
            if let (Some(f), Some(t)) = (from, to) {
                listed
                    .filters
                    .insert(FacetField::Year, (f..=t).map(|y| y.to_string()).collect());
            }
            let (records, matched) = engine
                .matching_records(&listed, &viewer, export::LISTING_LIMIT)
                .context("统计失败")?;
            let sheets = [export::Sheet { name, table: &table }];
            export::xlsx(&sheets, &records, matched, &profiles, args.site.trim_end_matches('/'))
                .context("无法生成 XLSX")?
        }
        _ => export::text(&table, &profiles).into_bytes(),
    };
    match &args.out {
        Some(path) => {
            crate::atomic::write(path, &bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            eprintln!("已写入 {}（{} 字节）", path.display(), bytes.len());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(content: &Path) -> anyhow::Result<ExitCode> {
    let checked = load::check(content).with_context(|| format!("无法读取内容目录 {}", content.display()))?;
    let problems = &checked.problems;
    for p in problems {
        println!("{p}");
    }
    let errors = problems.iter().filter(|p| p.problem.is_error()).count();
    let files_with_errors = {
        let mut paths: Vec<&str> = problems
            .iter()
            .filter(|p| p.problem.is_error())
            .map(|p| p.path.as_str())
            .collect();
        paths.dedup();
        paths.len()
    };
    println!(
        "检查了 {} 个文件：{} 个错误（{} 个文件），{} 个警告",
        checked.files,
        errors,
        files_with_errors,
        problems.len() - errors
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
