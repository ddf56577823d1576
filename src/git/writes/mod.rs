//! Writes: the index (`stage`, the only writer of the index), commits (`commit`, which runs
//! the user's own `git commit`) and absorb's squash (`rebase`, the user's own `git rebase -i
//! --autosquash` in a temporary worktree).

pub(crate) mod commit;
pub(crate) mod kinds;
pub(crate) mod rebase;
pub(crate) mod stage;
