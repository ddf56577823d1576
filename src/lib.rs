//! commit-nudge: keep the uncommitted git diff in view and nudge toward small, frequent commits.
//!
//! The rooms, with one-way doors (see docs/architecture.md): `git` counts and acts on
//! repositories, `nudge` decides, `config` reads settings, `report` assembles the status object,
//! `workspace` is the engine that owns the live state of each repository and decides, `lsp` is
//! the only room that speaks the protocol, `prompt` answers the shell prompt (from a live daemon
//! when it can), `plan` splits the uncommitted work into the few ordered commits it should have
//! been, and `absorb` folds hunks into the commits they fix. `hunk_range` (a hunk's numbers) and
//! `lines` (git's lines and the editor's) are the small vocabulary every room shares. Which room
//! may use which is a table in docs/architecture.md, checked by `tests/it/surface.rs`, as is the
//! list of public items.

// Every public item is documented (`missing_docs`), in every room; a new room starts documented.
#![warn(missing_docs)]
// Every type a public item names can be named from outside too: a type the front door takes or
// gives, defined in a room of the crate's own, is re-exported (`git::HunkTarget`, …).
#![warn(unnameable_types)]

pub mod absorb;
pub mod config;
pub mod editor_config;
pub mod git;
pub mod habit;
pub mod hunk_range;
pub mod lines;
pub mod lsp;
pub mod nudge;
pub mod plan;
pub mod prompt;
pub mod record;
pub mod report;
pub mod workspace;

/// The one test harness (repositories built by the real git, isolated from the developer's
/// configuration), shared by the unit tests and the integration tests (`tests/it/support`).
#[cfg(test)]
#[path = "../tests/it/support/repo.rs"]
mod test_repo;

/// The current time in Unix seconds: the one place the wall clock is read.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Returns memory freed by a one-off job (a walk of history, a first count) to the system:
/// glibc keeps freed pages of every thread's arena otherwise, and a long-running server or prompt
/// daemon would stay at its peak. Elsewhere the allocator decides, and this does nothing.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
