//! Writes: the index (`stage`, the only writer of the index) and commits (`commit`, which runs
//! the user's own `git commit`).

pub mod commit;
mod kinds;
pub mod stage;
