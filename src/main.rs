//! The `commit-nudge` command line: the language server, the status, the prompt, the stats and
//! the commit plan; and, made from these clap definitions, its shell completions and man page.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use commit_nudge::config::Settings;
use commit_nudge::git::GitError;
use commit_nudge::report;

mod cli;

#[derive(Parser)]
#[command(
    name = "commit-nudge",
    version,
    about = "Keeps your uncommitted git diff in view and nudges you to commit small and often"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Language Server Protocol over stdio.
    Lsp,
    /// Print the uncommitted numbers and nudges for the repository containing PATH.
    Status {
        /// A path inside the repository (default: the current directory).
        path: Option<PathBuf>,
        /// Print one JSON object (the `commitNudge/status` shape).
        #[arg(long)]
        json: bool,
    },
    /// Print one short line for a shell prompt; nothing when the tree is clean.
    Prompt {
        /// A path inside the repository (default: the current directory).
        path: Option<PathBuf>,
    },
    /// Serve prompts for the worktree at ROOT from live counts (started by `prompt` itself).
    #[command(hide = true, name = "prompt-daemon")]
    PromptDaemon { root: PathBuf },
    /// Print an editor configuration snippet made from your editor's own defaults.
    #[command(name = "editor-config", subcommand)]
    EditorConfig(EditorConfig),
    /// Show your commit sizes and frequency in the repository containing PATH.
    Stats {
        /// A path inside the repository (default: the current directory).
        path: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Fold each uncommitted fix into the commit it amends: one `fixup!` commit per target.
    Absorb {
        /// A path inside the repository (default: the current directory).
        path: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// List each target commit with its hunks and each hunk left behind with its reason.
        #[arg(long)]
        dry_run: bool,
        /// Consider every author's commits, not only user.email's.
        #[arg(long)]
        any_author: bool,
        /// Squash the fix-ups into their targets at once (`git rebase -i --autosquash`), only
        /// when every rewritten commit is local; the old tip is kept for an undo.
        #[arg(long, conflicts_with = "dry_run")]
        rewrite: bool,
    },
    /// Propose how to split the uncommitted work into a few ordered commits, and make them.
    Plan {
        /// A path inside the repository (default: the current directory).
        path: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Make the planned commits with `git commit` (hooks and signing as in the terminal).
        #[arg(long)]
        apply: bool,
        /// Open the plan document in $GIT_EDITOR / $EDITOR first; saving it applies the plan.
        #[arg(long)]
        edit: bool,
        /// Delete this repository's record of how the work was done (`.git/commit-nudge/record`)
        /// and plan nothing.
        #[arg(long, conflicts_with_all = ["json", "apply", "edit"])]
        forget: bool,
        /// Plan without the record of how the work was done.
        #[arg(long)]
        no_record: bool,
        /// Signal weights for experiments, such as `references=0,cochange=0.5`.
        #[arg(long, hide = true)]
        weights: Option<String>,
        /// Print the pair features the plan is made from, as JSON (for bench/fit.py).
        #[arg(long, hide = true)]
        features: bool,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish or powershell).
    Completions {
        /// The shell, such as `bash`.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `commit-nudge man > ~/.local/share/man/man1/commit-nudge.1`;
    /// with --dir, write it and one page per command (commit-nudge-status.1 and so on) there.
    Man {
        /// A directory for commit-nudge.1 and the commands' pages.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EditorConfig {
    /// Helix: `languages.toml` entries that add commit-nudge to LANGUAGES, keeping each one's
    /// own servers (read from Helix's runtime `languages.toml` and yours).
    Helix {
        /// Helix language names, such as `rust python markdown`.
        languages: Vec<String>,
        /// Helix's default `languages.toml`, when it is not in Helix's runtime folders.
        #[arg(long, value_name = "FILE")]
        defaults: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Lsp => run_lsp(),
        Command::Status { path, json } => status(path, json),
        Command::Prompt { path } => prompt(path),
        Command::PromptDaemon { root } => prompt_daemon(&root),
        Command::Stats { path, json } => stats(path, json),
        Command::Absorb {
            path,
            json,
            dry_run,
            any_author,
            rewrite,
        } => cli::absorb::run(
            path,
            &cli::absorb::AbsorbArgs {
                json,
                dry_run,
                any_author,
                rewrite,
            },
        ),
        Command::Plan {
            path,
            json,
            apply,
            edit,
            forget,
            no_record,
            weights,
            features,
        } => cli::plan::run(
            path,
            &cli::plan::PlanArgs {
                json,
                apply,
                edit,
                forget,
                no_record,
                weights,
                features,
            },
        ),
        Command::EditorConfig(EditorConfig::Helix {
            languages,
            defaults,
        }) => helix_config(&languages, defaults),
        Command::Completions { shell } => {
            let mut cli = Cli::command();
            clap_complete::generate(shell, &mut cli, "commit-nudge", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man { dir } => man_page(dir),
    }
}

/// The man pages, from the clap definitions: the top-level page (whose SUBCOMMANDS section lists
/// each command) on stdout, or with `dir` that page and one per command, as `git` ships them.
fn man_page(dir: Option<PathBuf>) -> ExitCode {
    let written = match dir {
        None => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()),
        Some(dir) => clap_mangen::generate_to(Cli::command(), dir),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("commit-nudge: could not write the man page: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the protocol); `RUST_LOG` sets the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("commit_nudge=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// For the long-running modes (server, prompt daemon): glibc's malloc raises its mmap threshold
/// after a large block is freed, so the next index reload's 9 MB buffer comes from the heap and
/// its pages may stay resident after it is freed. A fixed threshold keeps every large block
/// mmapped and returned on free (measured on 100,000 files: peak RSS 60–62 MB instead of 62–82).
fn keep_large_blocks_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn run_lsp() -> ExitCode {
    keep_large_blocks_out_of_the_heap();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("commit-nudge: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let shut_down = runtime.block_on(commit_nudge::lsp::serve_stdio());
    // The snapshot of a save just before the editor left is kept.
    commit_nudge::record::wait_for_pending(std::time::Duration::from_secs(5));
    // A read of stdin may still be pending on the blocking pool: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    // The protocol: exit code 0 when `shutdown` came before `exit`, 1 when it did not.
    if shut_down {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The absolute path a command is asked about (default: the current directory); a path that
/// does not exist is said to be missing, not to be outside a repository (exit status 2).
fn target(path: Option<PathBuf>) -> Result<PathBuf, ExitCode> {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let path = std::path::absolute(&path).unwrap_or(path);
    if std::fs::symlink_metadata(&path).is_err() {
        eprintln!("commit-nudge: {} does not exist", path.display());
        return Err(ExitCode::from(2));
    }
    Ok(path)
}

/// Counts the repository at `path`, or prints why not and gives the exit code.
fn status_or_exit(path: Option<PathBuf>) -> Result<report::StatusReport, ExitCode> {
    let path = target(path)?;
    match report::status_of(&path, &Settings::default(), commit_nudge::unix_now()) {
        Ok((report, problems)) => {
            for problem in problems {
                eprintln!("commit-nudge: {problem}");
            }
            Ok(report)
        }
        Err(error) => Err(failure(error)),
    }
}

fn status(path: Option<PathBuf>, json: bool) -> ExitCode {
    let report = match status_or_exit(path) {
        Ok(report) => report,
        Err(code) => return code,
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("commit-nudge: could not write JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", report::human(&report, colour));
    }
    ExitCode::SUCCESS
}

fn prompt(path: Option<PathBuf>) -> ExitCode {
    let path = match target(path) {
        Ok(path) => path,
        Err(code) => return code,
    };
    match commit_nudge::prompt::prompt_line(&path, commit_nudge::unix_now()) {
        Ok((line, problems)) => {
            for problem in problems {
                eprintln!("commit-nudge: {problem}");
            }
            if !line.is_empty() {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => failure(error),
    }
}

#[cfg(unix)]
fn prompt_daemon(root: &std::path::Path) -> ExitCode {
    keep_large_blocks_out_of_the_heap();
    match commit_nudge::prompt::daemon::run(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("commit-nudge: the prompt daemon stopped: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(unix))]
fn prompt_daemon(_root: &std::path::Path) -> ExitCode {
    eprintln!("commit-nudge: the prompt daemon needs Unix sockets");
    ExitCode::FAILURE
}

fn stats(path: Option<PathBuf>, json: bool) -> ExitCode {
    let path = match target(path) {
        Ok(path) => path,
        Err(code) => return code,
    };
    let summary = commit_nudge::git::discover(&path).and_then(|info| {
        let repo = commit_nudge::git::open(&info.root)?;
        let (author, commits) = repo.author_commits(&Default::default())?;
        let root = repo.root().display().to_string();
        Ok((
            root,
            commit_nudge::habit::summarise(author, &commits, Settings::default().lines),
        ))
    });
    let (root, habit) = match summary {
        Ok(summary) => summary,
        Err(error) => return failure(error),
    };
    if json {
        match serde_json::to_string_pretty(&habit) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("commit-nudge: could not write JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!(
            "{}",
            commit_nudge::habit::render(&habit, root.trim_end_matches('/'))
        );
    }
    ExitCode::SUCCESS
}

fn helix_config(languages: &[String], defaults: Option<PathBuf>) -> ExitCode {
    use commit_nudge::editor_config::{helix_snippet, HelixEnv, HelixInputs};
    let env = HelixEnv {
        defaults_file: defaults,
        ..HelixEnv::from_process()
    };
    let snippet = HelixInputs::find(&env).and_then(|inputs| helix_snippet(languages, &inputs));
    match snippet {
        Ok((text, warnings)) => {
            for warning in warnings {
                eprintln!("commit-nudge: {warning}");
            }
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("commit-nudge: {error}");
            ExitCode::from(2)
        }
    }
}

/// Prints why a command could not run and gives its exit code: 2 outside a repository.
fn failure(error: GitError) -> ExitCode {
    eprintln!("commit-nudge: {error}");
    if matches!(error, GitError::NotARepository(_)) {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}
