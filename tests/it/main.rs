//! The integration tests, one crate: each module below was a crate of its own under `tests/`,
//! and each linked the whole library and the vendored libgit2 again, which was most of the time
//! `cargo test` spent building on two cores. Shared fixtures live in `support` (repositories
//! built by real git with an isolated environment, an LSP client over stdio) and
//! `scan_support` (the differential scan's reference). The tests use the library as any user of
//! it would: the git core through its front door (`git::open` → `git::Repo`), and past it only
//! through `git::verify`, public on purpose for the differential suite. Run one module with
//! `cargo test --test it plan_record::`.

mod scan_support;
mod support;

mod absorb;
mod absorb_lsp;
mod cli_docs;
mod commit;
mod concurrent;
mod counts;
mod editor_config;
mod every_repo;
mod exact_writes;
mod follows_git;
mod fuzz_protocol;
mod hostile;
mod hunks;
mod incremental;
mod index_kinds;
mod index_writes;
mod links;
mod lsp;
mod lsp_actions;
mod object_kinds;
mod odd_repos;
mod plan;
mod plan_lsp;
mod plan_record;
mod prompt;
mod record_faults;
mod record_race;
mod scan_count;
mod scan_index;
mod scan_odd;
mod settings_everywhere;
mod stats;
mod surface;
