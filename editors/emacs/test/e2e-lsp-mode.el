;;; e2e-lsp-mode.el --- commit-nudge.el as an lsp-mode add-on client, against the real server  -*- lexical-binding: t; -*-
;; Run by test/run.sh: emacs --batch -Q -l e2e-lsp-mode.el, with CN_BIN, CN_REPO, CN_FILE, CN_EL set.

(require 'package)
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'lsp-mode)
(load (getenv "CN_EL") nil t)

(load (expand-file-name "e2e-common.el" (file-name-directory load-file-name)) nil t)

(defun cn-nudges ()
  (let (found)
    (maphash (lambda (_file diags)
               (dolist (d diags)
                 (when (and (equal (gethash "source" d) "commit-nudge")
                            (equal (gethash "code" d) "uncommitted-lines"))
                   (push d found))))
             (lsp-diagnostics t))
    found))

(setq commit-nudge-program (getenv "CN_BIN"))
(setq commit-nudge-settings
      (plist-put (copy-tree commit-nudge-settings) :thresholds '(:lines 5 :files 100 :minutes 1000000)))
(let ((state (make-temp-file "lsp-mode-state" t)))
  (setq lsp-auto-guess-root t lsp-enable-file-watchers nil lsp-restart 'ignore
        lsp-enable-snippet nil lsp-session-file (expand-file-name "session" state)
        lsp-server-install-dir (expand-file-name "servers" state)))

(condition-case err
    (progn
      (princ (format "emacs %s, lsp-mode %s\n" emacs-version (or (ignore-errors (package-version-join (package-desc-version (cadr (assq (quote lsp-mode) package-alist))))) "?")))
      (find-file (getenv "CN_FILE"))
      (lsp)
      (cn-check "lsp-mode starts commit-nudge as an add-on client"
                (cn-wait (lambda () (cl-find-if (lambda (w) (eq (lsp--workspace-status w) 'initialized))
                                                (lsp-workspaces)))))
      (cn-check "commit-nudge diagnostic arrives (thresholds from workspace/configuration)"
                (cn-wait #'cn-nudges))
      (when (cn-nudges) (princ (format "     nudge: %s\n" (gethash "message" (car (cn-nudges))))))
      (cn-check "commitNudge/status feeds the mode line" (cn-wait #'commit-nudge-mode-line-string))
      (goto-char (point-min))
      (forward-line 2)
      (commit-nudge-stage-hunk)
      (cn-check "commit-nudge-stage-hunk stages a hunk"
                (cn-wait (lambda () (not (string-empty-p (cn-git "diff" "--cached" "--name-only")))) 5)
                (cn-git "status" "--short"))
      (commit-nudge-commit "Commit from lsp-mode")
      (cn-check "commit-nudge-commit makes the commit"
                (cn-wait (lambda () (equal (string-trim (cn-git "log" "-1" "--format=%s")) "Commit from lsp-mode")) 5)
                (cn-git "log" "-2" "--format=%s")))
  (error (cn-check "test script" nil err)))

(princ (format "emacs lsp-mode: %d passed, %d failed\n" cn-passed cn-failed))
(kill-emacs (if (> cn-failed 0) 1 0))
