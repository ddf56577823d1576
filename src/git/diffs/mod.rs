//! Diffs and conversions: a file's hunks (`hunks`), an unsaved buffer's (`buffer`), the conversion
//! of text as `git add` converts it (`convert`), rename pairing (`renames`), the small-index
//! handle every limited diff runs on (`scratch`), git's own `-U0` patches read for the planner
//! where git serves the repository (`patch`), and the filter that keeps libgit2 from mapping
//! working-tree files (`no_mmap_filter`).

pub(crate) mod buffer;
pub(crate) mod convert;
pub(crate) mod hunks;
pub(crate) mod no_mmap_filter;
pub(crate) mod patch;
pub(crate) mod renames;
pub(crate) mod scratch;
