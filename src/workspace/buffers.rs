//! Open documents: their life cycle (opened, edited, saved, closed) and the diffs of their
//! unsaved text, which count instead of the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{BufferJob, Effect, GitJob};
use super::jobs::BufferResult;
use super::state::{Doc, State};
use super::{DocId, Output};
use crate::report::BufferCounts;

impl State {
    pub(super) fn opened(&mut self, doc: DocId, path: PathBuf, version: i32, text: String) {
        // One spelling per file: a document opened through a symlinked folder, or through a
        // symlink to a file, is the file it resolves to (the link itself is counted from the
        // disk, as a link).
        let opened_as = path;
        let path = crate::git::repo::canonical(&opened_as);
        let root = self.ensure_repo_for(&path, false);
        let rel_path = root
            .as_ref()
            .and_then(|r| crate::git::repo::relative_path(r, &path));
        self.touch_clock += 1;
        self.docs.insert(
            doc.clone(),
            Doc {
                path,
                opened_as,
                root: root.clone(),
                rel_path,
                version,
                text: Arc::new(text),
                buffer: None,
                base: None,
                unsaved_since: None,
                touched: self.touch_clock,
                published: Vec::new(),
                diffs_started: 0,
                diffs_done: 0,
            },
        );
        self.count_buffer(&doc);
        if let Some(root) = root {
            self.publish(&root);
        }
    }

    /// A document opened through a symlink follows the link where it points now (`ln -sf`
    /// re-points it): it counts as, and stages into, the file the editor shows, as git would.
    pub(super) fn follow_links(&mut self) {
        let moved: Vec<DocId> = self
            .docs
            .iter()
            .filter(|(_, d)| d.opened_as != d.path)
            .filter(|(_, d)| crate::git::repo::canonical(&d.opened_as) != d.path)
            .map(|(id, _)| id.clone())
            .collect();
        for id in moved {
            let Some(doc) = self.docs.get(&id) else {
                continue;
            };
            let path = crate::git::repo::canonical(&doc.opened_as);
            let root = self.ensure_repo_for(&path, false);
            let rel_path = root
                .as_ref()
                .and_then(|r| crate::git::repo::relative_path(r, &path));
            if let Some(doc) = self.docs.get_mut(&id) {
                doc.path = path;
                doc.root = root;
                doc.rel_path = rel_path;
                doc.base = None;
                doc.buffer = None;
            }
            self.count_buffer(&id);
        }
    }

    /// The links (relative to `root`) that open documents of `path` were opened through: a
    /// whole-file stage stages them too, as `git add` of the name the editor shows would.
    pub(super) fn links_to(&self, root: &Path, path: &str) -> Vec<String> {
        let target = root.join(path);
        let mut links: Vec<String> = self
            .docs
            .values()
            .filter(|d| d.path == target && d.opened_as != d.path)
            .filter(|d| d.opened_as.is_symlink())
            .filter_map(|d| {
                let parent = crate::git::repo::canonical(d.opened_as.parent()?);
                let name = d.opened_as.file_name()?;
                crate::git::repo::relative_path(root, &parent.join(name))
            })
            .filter(|link| link != path)
            .collect();
        links.sort();
        links.dedup();
        links
    }

    pub(super) fn changed(&mut self, doc: DocId, version: i32, text: String) {
        self.touch_clock += 1;
        let touched = self.touch_clock;
        if let Some(entry) = self.docs.get_mut(&doc) {
            entry.version = version;
            entry.text = Arc::new(text);
            entry.touched = touched;
            self.count_buffer(&doc);
        }
    }

    /// A document was saved: the disk now holds its text. A saved commit-message document
    /// commits.
    pub(super) fn saved(&mut self, doc: &DocId, path: &Path) {
        if let Some(entry) = self.docs.get_mut(doc) {
            entry.buffer = None;
            entry.unsaved_since = None;
            if let (Some(root), Some(rel_path)) = (entry.root.clone(), entry.rel_path.clone()) {
                // The record takes the saved text from the server's own view of the document:
                // the editor may still be writing the file (the watcher skips open documents).
                let saved = crate::record::Observed {
                    rel_path: rel_path.clone(),
                    text: Some(entry.text.clone()),
                };
                self.record(&root, vec![saved]);
                self.request_paths(&root, [rel_path].into());
            }
        }
        self.plan_saved(path);
        self.absorb_saved(path);
        if self.commit_documents.is_empty() {
            return;
        }
        // The editor may name the document through a symlink.
        let canonical = crate::git::repo::canonical(path);
        let is_it = |file: &PathBuf| file == path || crate::git::repo::canonical(file) == canonical;
        if let Some(i) = self.commit_documents.iter().position(|(f, _)| is_it(f)) {
            let (file, root) = self.commit_documents.remove(i);
            self.start_job(None, root, GitJob::CommitDocument { path: file });
        }
    }

    /// Asks for a snapshot of `files` in the record of how the work was done, if the user keeps
    /// one: on saves and finished file-system writes only, never on a keystroke.
    pub(super) fn record(&mut self, root: &Path, files: Vec<crate::record::Observed>) {
        if self.settings.record_work && !files.is_empty() {
            self.effect(Effect::Record {
                root: root.to_path_buf(),
                files,
            });
        }
    }

    /// Whether the editor has `rel_path` of the worktree at `root` open: then its saves are
    /// recorded, and the watcher's events about it are not.
    pub(super) fn is_open(&self, root: &Path, rel_path: &str) -> bool {
        self.docs
            .values()
            .any(|d| d.root.as_deref() == Some(root) && d.rel_path.as_deref() == Some(rel_path))
    }

    pub(super) fn closed(&mut self, doc: DocId) {
        let Some(entry) = self.docs.remove(&doc) else {
            return;
        };
        self.plan_closed(&entry.path);
        self.absorb_closed(&entry.path);
        if !entry.published.is_empty() {
            self.emit(Output::Diagnostics {
                doc,
                items: Vec::new(),
            });
        }
        if let Some(root) = entry.root {
            self.publish(&root);
        }
        self.drop_unused_repos();
    }

    pub(super) fn recount_buffers(&mut self) {
        let docs: Vec<DocId> = self.docs.keys().cloned().collect();
        for doc in docs {
            self.count_buffer(&doc);
        }
    }

    /// Diffs a document's text, when unsaved text counts in its repository.
    pub(super) fn count_buffer(&mut self, doc: &DocId) {
        let Some(entry) = self.docs.get(doc) else {
            return;
        };
        let (Some(root), Some(rel_path)) = (entry.root.clone(), entry.rel_path.clone()) else {
            return;
        };
        let repo = self.repos.get(&root);
        let settings = repo.map_or(&self.settings, |r| &r.settings);
        if !settings.count_unsaved {
            return;
        }
        let job = BufferJob {
            root,
            rel_path,
            doc: doc.clone(),
            version: entry.version,
            text: entry.text.clone(),
            base: entry.base.clone(),
            repo: repo.map(|r| r.git.clone()).unwrap_or_default(),
        };
        if let Some(entry) = self.docs.get_mut(doc) {
            entry.diffs_started += 1;
        }
        self.effect(Effect::DiffBuffer(job));
    }

    pub(super) fn buffer_counted(&mut self, doc: DocId, version: i32, result: BufferResult) {
        let now = self.now();
        let Some(entry) = self.docs.get_mut(&doc) else {
            return;
        };
        entry.diffs_done += 1;
        if entry.version != version {
            return;
        }
        match result {
            Ok((base, diff)) => {
                entry.base = Some(base);
                if diff.differs_from_disk {
                    let since = *entry.unsaved_since.get_or_insert(now);
                    entry.buffer = Some(BufferCounts {
                        path: entry.rel_path.clone().unwrap_or_default(),
                        tracked: diff.tracked,
                        ignored: diff.ignored,
                        vs_head: diff.vs_head,
                        vs_index: diff.vs_index,
                        differs_from_disk: true,
                        since_unix: since,
                    });
                } else {
                    entry.buffer = None;
                    entry.unsaved_since = None;
                }
            }
            Err(error) => tracing::warn!(
                "could not diff the buffer of {}: {error}",
                entry.path.display()
            ),
        }
        if let Some(root) = entry.root.clone() {
            self.publish(&root);
        }
    }
}
