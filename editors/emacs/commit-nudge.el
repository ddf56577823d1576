;;; commit-nudge.el --- Keep the uncommitted git diff in view, via eglot or lsp-mode  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: vc, tools, languages

;;; Commentary:

;; Client set-up for the commit-nudge language server (`commit-nudge lsp').
;;
;;   (add-to-list 'load-path "/path/to/commit-nudge/editors/emacs")
;;   (require 'commit-nudge)
;;
;; eglot (built into Emacs 29+, or the `eglot' package on 27/28): eglot runs ONE server per
;; buffer, so commit-nudge is appended to `eglot-server-programs' for
;; `commit-nudge-eglot-modes' (default: every prog-, text- and conf- mode).  It serves the
;; buffers of modes that have no other server; where a mode has a server of its own (pylsp,
;; rust-analyzer, marksman, ...) eglot keeps that one.  Start it with M-x eglot in such buffers,
;; or from the hook of a mode without a server, e.g.
;; (add-hook 'text-mode-hook (lambda () (when (eq major-mode 'text-mode) (eglot-ensure)))).
;; Not plain #'eglot-ensure on text-mode-hook: Markdown derives from text-mode and would start
;; its own entry (marksman) instead.
;;
;; lsp-mode: runs several servers per buffer, so commit-nudge is registered as an add-on
;; client that starts next to the main server in every buffer inside a git worktree.
;;
;; Commands: `commit-nudge-commit', `commit-nudge-stage-hunk', `commit-nudge-unstage-hunk',
;; `commit-nudge-snooze', `commit-nudge-status'.  The mode line shows the worktree's numbers
;; (from the `commitNudge/status' notification) when `commit-nudge-mode-line' is non-nil.

;;; Code:

(require 'cl-lib)
(require 'subr-x)

(defgroup commit-nudge nil
  "Keep the uncommitted git diff in view and commit small and often."
  :group 'tools
  :prefix "commit-nudge-")

(defcustom commit-nudge-program "commit-nudge"
  "The commit-nudge executable."
  :type 'string)

;; BEGIN generated settings: from src/config/table.rs (cargo test --test it settings_everywhere).
(defcustom commit-nudge-settings
  '(:thresholds (:lines 200 :files 15 :minutes 60)
    :countUntracked t
    :countUnsaved t
    :exclude ["**/*.lock" "**/package-lock.json"]
    :severity "information"
    :codeLens t
    :askOnWarning :json-false
    :snoozeMinutes 30
    :maxFileBytes 52428800
    :recordWork t)
  "The `commitNudge' settings sent to the server, as a plist.
Use :json-false for false and vectors for lists.  The defaults are the
server's, except :askOnWarning, off because Emacs's prompt is modal."
  :type 'plist)

(defconst commit-nudge--setting-paths
  '(((:thresholds :lines)) ((:thresholds :files)) ((:thresholds :minutes)) ((:countUntracked) t) ((:countUnsaved) t) ((:exclude)) ((:severity)) ((:codeLens) t) ((:askOnWarning) t) ((:snoozeMinutes)) ((:maxFileBytes)) ((:recordWork) t))
  "The leaves of `commit-nudge-settings', and whether each is a boolean.")
;; END generated settings

(defcustom commit-nudge-eglot-modes '(prog-mode text-mode conf-mode)
  "Major modes (and their derived modes) that eglot may serve with commit-nudge.
eglot picks the first matching entry of `eglot-server-programs', and
commit-nudge's entry is the last one, so it only serves modes that have
no other server."
  :type '(repeat symbol))

(defcustom commit-nudge-mode-line t
  "When non-nil, show the worktree's uncommitted numbers in the mode line."
  :type 'boolean)

(defvar commit-nudge--status (make-hash-table :test #'equal)
  "The latest `commitNudge/status' params, keyed by worktree root directory.")

;;;; Status and mode line

(defun commit-nudge--root-key (directory)
  "The key of DIRECTORY in `commit-nudge--status'."
  (file-name-as-directory (file-truename directory)))

(defun commit-nudge--store-status (status)
  "Store STATUS (a plist with keyword keys) and refresh mode lines."
  (let ((root (plist-get status :root)))
    (when (stringp root)
      (puthash (commit-nudge--root-key root) status commit-nudge--status)
      (force-mode-line-update t))))

(defun commit-nudge--current-status ()
  "The stored status for the current buffer's worktree, or nil."
  (let ((root (and default-directory (locate-dominating-file default-directory ".git"))))
    (and root (gethash (commit-nudge--root-key root) commit-nudge--status))))

(defun commit-nudge--short-age (minutes)
  "MINUTES as every commit-nudge output writes them: `45 min', `2 h 5 min', `100 days'."
  (let ((h (/ minutes 60)) (m (% minutes 60)))
    (cond ((>= minutes (* 48 60)) (format "%d days" (/ minutes (* 24 60))))
          ((= h 0) (format "%d min" m))
          ((= m 0) (format "%d h" h))
          (t (format "%d h %d min" h m)))))

(defun commit-nudge-mode-line-string ()
  "A mode line segment such as ` ✎ +312 −40 · 1 h 15 min', or nil when clean."
  (when-let* ((status (commit-nudge--current-status))
              (total (plist-get status :total))
              ((> (or (plist-get total :files) 0) 0)))
    (let ((minutes (plist-get status :minutes_of_work)))
      (concat (format " ✎ +%d −%d" (or (plist-get total :added) 0) (or (plist-get total :removed) 0))
              (if (numberp minutes) (concat " · " (commit-nudge--short-age minutes)) "")))))

(defvar commit-nudge--mode-line-construct
  '(:eval (and commit-nudge-mode-line (commit-nudge-mode-line-string))))
(put 'commit-nudge--mode-line-construct 'risky-local-variable t)

(unless (member 'commit-nudge--mode-line-construct global-mode-string)
  (setq global-mode-string
        (append (or global-mode-string '("")) '(commit-nudge--mode-line-construct))))

;;;; eglot

(defun commit-nudge--eglot-contact (&optional _interactive)
  "The eglot contact for commit-nudge, settings included."
  (list commit-nudge-program "lsp"
        :initializationOptions (list :commitNudge commit-nudge-settings)))

(with-eval-after-load 'eglot
  (defvar eglot-server-programs)
  (add-to-list 'eglot-server-programs
               (cons commit-nudge-eglot-modes #'commit-nudge--eglot-contact)
               t)
  (cl-defmethod eglot-handle-notification
    (_server (_method (eql commitNudge/status)) &rest params)
    "Store the worktree status for the mode line."
    (commit-nudge--store-status params)))

;; For per-project settings with eglot, put the same plist in .dir-locals.el, e.g.
;;   ((nil . ((eglot-workspace-configuration
;;             . (:commitNudge (:thresholds (:lines 100)))))))

;;;; lsp-mode

(defun commit-nudge--in-worktree-p (&rest _)
  "Non-nil when the current buffer's file is inside a git worktree."
  (and buffer-file-name (locate-dominating-file buffer-file-name ".git") t))


(defun commit-nudge--setting (path)
  "The value at PATH (a list of keywords) in `commit-nudge-settings'."
  (let ((value commit-nudge-settings))
    (dolist (key path value)
      (setq value (plist-get value key)))))

(with-eval-after-load 'lsp-mode
  (declare-function lsp-register-custom-settings "lsp-mode")
  ;; lsp-mode answers workspace/configuration from registered dotted paths (and answers `{}'
  ;; for an unknown section, which the server would take as "all defaults").
  (lsp-register-custom-settings
   (mapcar (lambda (entry)
             (let ((path (car entry)))
               (list (concat "commitNudge."
                             (mapconcat (lambda (key) (substring (symbol-name key) 1)) path "."))
                     (lambda ()
                       (let ((value (commit-nudge--setting path)))
                         (if (eq value :json-false) nil value)))
                     (cadr entry))))
           commit-nudge--setting-paths))
  (declare-function lsp-register-client "lsp-mode")
  (declare-function make-lsp-client "lsp-mode")
  (declare-function lsp-stdio-connection "lsp-mode")
  (declare-function lsp--set-configuration "lsp-mode")
  (let ((handlers (make-hash-table :test #'equal)))
    (puthash "commitNudge/status"
             (lambda (_workspace params)
               (commit-nudge--store-status (commit-nudge--hash-to-plist params)))
             handlers)
    (lsp-register-client
     (make-lsp-client
      :new-connection (lsp-stdio-connection (lambda () (list commit-nudge-program "lsp")))
      :activation-fn #'commit-nudge--in-worktree-p
      :add-on? t
      :priority -2
      :server-id 'commit-nudge
      :initialization-options (lambda () (list :commitNudge commit-nudge-settings))
      :notification-handlers handlers))))

(defun commit-nudge--hash-to-plist (value)
  "VALUE (lsp-mode's parsed JSON: hash tables) as plists with keyword keys."
  (cond ((hash-table-p value)
         (let (plist)
           (maphash (lambda (k v)
                      (setq plist (plist-put plist (intern (concat ":" k))
                                             (commit-nudge--hash-to-plist v))))
                    value)
           plist))
        ((vectorp value) (vconcat (mapcar #'commit-nudge--hash-to-plist value)))
        (t value)))

;;;; Commands (through whichever client serves the buffer)

(defun commit-nudge--root ()
  "The worktree root of the current buffer, or an error."
  (or (and default-directory (locate-dominating-file default-directory ".git"))
      (user-error "commit-nudge: not inside a git worktree")))

(defun commit-nudge--root-uri ()
  "The file URI of the current worktree root, without a trailing slash."
  (concat "file://" (directory-file-name (file-truename (commit-nudge--root)))))

(defun commit-nudge--eglot-server ()
  "The eglot server of this buffer if it is commit-nudge."
  (when (and (fboundp 'eglot-current-server) (eglot-current-server))
    (let ((server (eglot-current-server)))
      (and (string-match-p "commit-nudge" (format "%s" (process-command (jsonrpc--process server))))
           server))))

(defun commit-nudge--execute (command arguments)
  "Run the server COMMAND with ARGUMENTS (a list) and return its result."
  (cond
   ((commit-nudge--eglot-server)
    (jsonrpc-request (commit-nudge--eglot-server) :workspace/executeCommand
                     (list :command command :arguments (vconcat arguments))))
   ((and (fboundp 'lsp-workspaces) (bound-and-true-p lsp-mode))
    (with-no-warnings
      (lsp-request "workspace/executeCommand"
                   (list :command command :arguments (vconcat arguments)))))
   (t (user-error "commit-nudge: no commit-nudge server in this buffer"))))

(defun commit-nudge--error-message (err)
  "The user-facing text of a jsonrpc or lsp-mode error ERR."
  (let ((data (cdr err)))
    (or (and (listp data) (alist-get 'jsonrpc-error-message data))
        (error-message-string err))))

(defun commit-nudge-commit (message)
  "Commit the staged changes of this worktree with MESSAGE."
  (interactive (list (read-string "Commit message: ")))
  (when (string-empty-p (string-trim message))
    (user-error "commit-nudge: empty commit message"))
  (condition-case err
      (let ((result (commit-nudge--execute
                     "commit-nudge.commitStaged"
                     (list (list :root (commit-nudge--root-uri) :message message)))))
        (message "commit-nudge: %s"
                 (or (and (listp result) (plist-get result :summary))
                     (and (hash-table-p result) (gethash "summary" result))
                     "committed"))
        result)
    (error (message "commit-nudge: commit failed: %s" (commit-nudge--error-message err))
           nil)))

(defun commit-nudge--code-actions-at-point ()
  "The server's code actions at point, as a list."
  (cond
   ((commit-nudge--eglot-server)
    (append (jsonrpc-request
             (commit-nudge--eglot-server) :textDocument/codeAction
             (list :textDocument (eglot--TextDocumentIdentifier)
                   :range (list :start (eglot--pos-to-lsp-position (point))
                                :end (eglot--pos-to-lsp-position (point)))
                   :context (list :diagnostics [])))
            nil))
   ((bound-and-true-p lsp-mode)
    (with-no-warnings
      (mapcar #'commit-nudge--hash-to-plist
              (append (lsp-request "textDocument/codeAction"
                                   (list :textDocument (lsp--text-document-identifier)
                                         :range (lsp--region-or-line)
                                         :context (list :diagnostics [])))
                      nil))))
   (t (user-error "commit-nudge: no commit-nudge server in this buffer"))))

(defun commit-nudge--run-action (prefix)
  "Run the code action at point whose title begins with PREFIX."
  (let* ((actions (commit-nudge--code-actions-at-point))
         (action (cl-find-if (lambda (a) (string-prefix-p prefix (or (plist-get a :title) "")))
                             actions)))
    (unless action
      (user-error "commit-nudge: no \"%s\" action here" prefix))
    (let ((command (if (stringp (plist-get action :command)) action (plist-get action :command))))
      (condition-case err
          (progn (commit-nudge--execute (plist-get command :command)
                                        (append (plist-get command :arguments) nil))
                 (message "commit-nudge: %s" (plist-get action :title)))
        (error (message "commit-nudge: %s" (commit-nudge--error-message err)))))))

(defun commit-nudge-stage-hunk ()
  "Stage the hunk at point."
  (interactive)
  (commit-nudge--run-action "Stage hunk"))

(defun commit-nudge-unstage-hunk ()
  "Unstage the hunk at point."
  (interactive)
  (commit-nudge--run-action "Unstage hunk"))

(defun commit-nudge-snooze (minutes)
  "Snooze the nudges of this worktree for MINUTES."
  (interactive (list (read-number "Snooze for minutes: " 30)))
  (commit-nudge--execute "commit-nudge.snooze"
                         (list (list :root (commit-nudge--root-uri) :minutes minutes))))

(defun commit-nudge-status ()
  "Show the uncommitted numbers of this worktree (`commit-nudge status')."
  (interactive)
  (let ((default-directory (commit-nudge--root)))
    (message "%s" (string-trim (shell-command-to-string
                                (concat (shell-quote-argument commit-nudge-program) " status"))))))

(provide 'commit-nudge)
;;; commit-nudge.el ends here
