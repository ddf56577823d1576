//! Keeps libgit2 from memory-mapping working-tree files.
//!
//! When no filter applies to a file, libgit2's diff maps the working-tree file into memory
//! (`diff_file.c`). If another program truncates that file meanwhile (an editor saving by
//! truncate-and-write, a build rewriting its output), touching the mapped pages past the new end
//! raises SIGBUS and kills the whole process. With any filter in the list, libgit2 reads the file
//! with `read(2)` instead, which sees whatever is there. So this registers one filter that applies
//! to every path and changes nothing: its `apply` answers `GIT_PASSTHROUGH`. It runs no program.
//! Packs, indexes and refs are still mapped: git replaces those by rename, never in place.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::Once;

/// libgit2's `git_filter` (include/git2/sys/filter.h, `GIT_FILTER_VERSION` 1).
#[repr(C)]
struct GitFilter {
    version: c_uint,
    attributes: *const c_char,
    initialize: Option<unsafe extern "C" fn(*mut GitFilter) -> c_int>,
    shutdown: Option<unsafe extern "C" fn(*mut GitFilter)>,
    check: Option<
        unsafe extern "C" fn(
            *mut GitFilter,
            *mut *mut c_void,
            *const c_void,
            *const *const c_char,
        ) -> c_int,
    >,
    apply: Option<
        unsafe extern "C" fn(
            *mut GitFilter,
            *mut *mut c_void,
            *mut libgit2_sys::git_buf,
            *const libgit2_sys::git_buf,
            *const c_void,
        ) -> c_int,
    >,
    stream: Option<unsafe extern "C" fn() -> c_int>,
    cleanup: Option<unsafe extern "C" fn(*mut GitFilter, *mut c_void)>,
}

unsafe extern "C" {
    fn git_filter_register(name: *const c_char, filter: *mut GitFilter, priority: c_int) -> c_int;
}

/// `GIT_PASSTHROUGH`: the filter leaves the data as it is.
const GIT_PASSTHROUGH: c_int = -30;

unsafe extern "C" fn pass_through(
    _filter: *mut GitFilter,
    _payload: *mut *mut c_void,
    _to: *mut libgit2_sys::git_buf,
    _from: *const libgit2_sys::git_buf,
    _source: *const c_void,
) -> c_int {
    GIT_PASSTHROUGH
}

static REGISTER: Once = Once::new();

/// Registers the no-op filter once per process; later calls do nothing.
pub fn ensure_registered() {
    REGISTER.call_once(|| {
        libgit2_sys::init();
        // Like git's own reads, trust the object database instead of hashing every object read
        // again (libgit2's default does; it costs a cold count about 4 %).
        git2::opts::strict_hash_verification(false);
        bound_pack_maps();
        // libgit2 keeps the pointer for the life of the process: leak one filter on purpose.
        let filter = Box::leak(Box::new(GitFilter {
            version: 1,
            attributes: std::ptr::null(),
            initialize: None,
            shutdown: None,
            check: None,
            apply: Some(pass_through),
            stream: None,
            cleanup: None,
        }));
        let name = c"commit-nudge-read-not-map";
        // SAFETY: the filter lives for the whole process, its layout is libgit2's `git_filter`,
        // the name is a valid C string that libgit2 copies, and libgit2 was initialized above.
        let result = unsafe { git_filter_register(name.as_ptr(), filter, 0) };
        if result < 0 {
            tracing::warn!("could not register the read-not-map filter ({result}); a file truncated while it is read may crash the count");
        }
    });
}

/// libgit2 maps pack files in windows that every repository of the process shares (its pack
/// cache), and the pages a walk touched stay resident as long as their window is mapped: one
/// read of the history behind `thresholds.lines = "auto"` left a long-running process 70 MB
/// larger for good. Small windows under a low total bound that (the least recently used window
/// is unmapped first); reading objects costs the same page faults either way.
fn bound_pack_maps() {
    const WINDOW: usize = 4 << 20;
    const MAPPED_LIMIT: usize = 16 << 20;
    // SAFETY: these set global sizes before any repository is opened; libgit2 is initialized.
    let set = unsafe {
        git2::opts::set_mwindow_size(WINDOW)
            .and_then(|()| git2::opts::set_mwindow_mapped_limit(MAPPED_LIMIT))
    };
    if let Err(error) = set {
        tracing::debug!("could not bound libgit2's pack windows: {error}");
    }
}
