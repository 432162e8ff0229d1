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
    /// Print the fields of a record as the table of the content format.
    Fields,
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
enum TokenAction {
    /// Print a new API token for the account (shown once).
    New {
        name: String,
        #[arg(long, default_value = "default")]
        label: String,
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
        Command::Fields => {
            print!("{}", crate::content::spec::markdown_table());
            Ok(ExitCode::SUCCESS)
        }
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
        Command::Token { action, data } => token(action, &data),
        Command::Serve {
            paths,
            addr,
            data,
            secure_cookies,
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
            runtime.block_on(crate::web::serve(engine, catch_up, addr, &data, secure_cookies))?;
            Ok(ExitCode::SUCCESS)
        }
    }
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
        TokenAction::New { name, label } => println!("{}", accounts.new_token(&name, &label)?),
        TokenAction::List { name } => {
            for t in accounts.list_tokens(&name)? {
                println!("{}\t{}", t.label, t.prefix);
            }
        }
        TokenAction::Revoke { name, label } => {
            let revoked = accounts.revoke_token(&name, &label)?;
            println!("已撤销令牌 {}（{}）", revoked.label, revoked.prefix);
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
