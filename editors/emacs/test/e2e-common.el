;;; e2e-common.el --- What both end-to-end tests share: checks, waiting, git  -*- lexical-binding: t; -*-
;; Loaded by e2e.el (eglot) and e2e-lsp-mode.el (lsp-mode), which set up their own client.

(defvar cn-passed 0)
(defvar cn-failed 0)
(defun cn-check (name ok &optional detail)
  (if ok
      (progn (setq cn-passed (1+ cn-passed)) (princ (format "ok   %s\n" name)))
    (setq cn-failed (1+ cn-failed))
    (princ (format "FAIL %s%s\n" name (if detail (format "\n     %S" detail) "")))))

(defun cn-wait (pred &optional seconds)
  "Pump process output until PRED is non-nil or SECONDS (default 20) pass."
  (let ((deadline (+ (float-time) (or seconds 20))) value)
    (while (and (not (setq value (ignore-errors (funcall pred))))
                (< (float-time) deadline))
      (accept-process-output nil 0.1))
    value))

(defun cn-git (&rest args)
  (with-temp-buffer
    (let ((default-directory (file-name-as-directory (getenv "CN_REPO"))))
      (apply #'call-process "git" nil t nil args))
    (buffer-string)))
