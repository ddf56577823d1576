//! The formats on disk that commit-nudge reads itself: git's index file (`index_file`), the stamp
//! kept of it between counts (`index_stamp`), and the stable hash their fingerprints use (`fnv`).
//! Nothing here opens a repository through libgit2.

pub(crate) mod fnv;
pub(crate) mod index_file;
pub(crate) mod index_stamp;
pub(crate) mod refs;
