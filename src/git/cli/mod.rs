//! The git CLI as a backend, for what libgit2 cannot read: `run` is the one hardened way to ask
//! git (nothing from the repository runs), the rest answers the front door's questions in a
//! repository of SHA-256 object names (`sha256`).

mod absorb;
mod backend;
mod count;
mod plan;
mod run;

pub(crate) use backend::{discover, CliRepo};

pub(crate) use run::Git;
