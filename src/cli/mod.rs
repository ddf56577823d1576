//! The command line's subcommands that are more than a call into the library: the binary's own
//! code, apart from the library's rooms (`plan`, `absorb`) they drive.

pub(crate) mod absorb;
pub(crate) mod plan;
