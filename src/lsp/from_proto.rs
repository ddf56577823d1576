//! Converting protocol values into the core's plain types.

use std::path::PathBuf;

use tower_lsp_server::ls_types::Uri;

/// The local path of a `file:` URI; any other scheme gives `None` (such documents are ignored).
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// The document identifier the workspace uses: the URI exactly as the client sent it.
pub fn doc_id(uri: &Uri) -> String {
    uri.as_str().to_string()
}
