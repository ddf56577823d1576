;;; e2e.el --- End-to-end test of commit-nudge.el with eglot and the real server  -*- lexical-binding: t; -*-
;; Run by test/run.sh: emacs --batch -Q -l e2e.el, with CN_BIN, CN_REPO, CN_FILE and CN_EL set.

(require 'package)
;; Debian's elpa-* packages live here; -Q skips the site-start that would add it.
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'eglot)
(load (getenv "CN_EL") nil t)

(load (expand-file-name "e2e-common.el" (file-name-directory load-file-name)) nil t)

(defvar cn-published nil "publishDiagnostics params seen, newest first.")
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (eq method 'textDocument/publishDiagnostics)
                (push params cn-published))))

(defun cn-nudges ()
  (cl-loop for params in cn-published
           append (cl-loop for d across (plist-get params :diagnostics)
                           when (and (equal (plist-get d :source) "commit-nudge")
                                     (equal (plist-get d :code) "uncommitted-lines"))
                           collect d)))

(setq commit-nudge-program (getenv "CN_BIN"))
(setq commit-nudge-settings
      (plist-put (copy-tree commit-nudge-settings) :thresholds '(:lines 5 :files 100 :minutes 1000000)))
(setq eglot-sync-connect 10)

(condition-case err
    (progn
      (princ (format "emacs %s, eglot %s\n" emacs-version
                     (or (ignore-errors (package-version-join (package-desc-version (cadr (assq 'eglot package-alist)))))
                         "built-in")))
      ;; The snippet is appended: modes with their own server keep it.
      (cn-check "eglot-server-programs: commit-nudge is the fallback entry"
                (eq (cdr (car (last eglot-server-programs))) #'commit-nudge--eglot-contact))
      (cn-check "python-mode keeps its default server"
                (not (eq (nth 2 (eglot--lookup-mode 'python-mode)) #'commit-nudge--eglot-contact)))
      (find-file (getenv "CN_FILE"))
      (cn-check "text-mode is served by commit-nudge"
                (eq (nth 2 (eglot--lookup-mode major-mode)) #'commit-nudge--eglot-contact)
                major-mode)
      (apply #'eglot (eglot--guess-contact))
      (cn-check "eglot connects to the server" (cn-wait #'eglot-current-server))
      (cn-check "commit-nudge diagnostic (source commit-nudge, code uncommitted-lines) arrives"
                (cn-wait #'cn-nudges) cn-published)
      (when (cn-nudges)
        (princ (format "     nudge: %s\n" (plist-get (car (cn-nudges)) :message))))
      (cn-wait (lambda () (flymake-diagnostics)) 3)
      (princ (format "info flymake shows: %S\n" (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
      (cn-check "commitNudge/status feeds the mode line"
                (cn-wait #'commit-nudge-mode-line-string)
                (hash-table-count commit-nudge--status))
      (princ (format "     mode line:%s\n" (commit-nudge-mode-line-string)))
      ;; Stage the hunk at point and commit it.
      (goto-char (point-min))
      (forward-line 2)
      (commit-nudge-stage-hunk)
      (cn-check "commit-nudge-stage-hunk stages a hunk"
                (cn-wait (lambda () (not (string-empty-p (cn-git "diff" "--cached" "--name-only")))) 5)
                (cn-git "status" "--short"))
      (commit-nudge-commit "Commit from Emacs")
      (cn-check "commit-nudge-commit makes the commit"
                (cn-wait (lambda () (equal (string-trim (cn-git "log" "-1" "--format=%s")) "Commit from Emacs")) 5)
                (cn-git "log" "-2" "--format=%s"))
      (cn-check "unstaged changes stay in the working tree"
                (not (string-empty-p (cn-git "diff" "--name-only")))))
  (error (cn-check "test script" nil err)))

(ignore-errors (eglot-shutdown (eglot-current-server)))
(princ (format "emacs: %d passed, %d failed\n" cn-passed cn-failed))
(kill-emacs (if (> cn-failed 0) 1 0))
