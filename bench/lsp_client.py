"""The benchmarks' editor over stdio: a minimal LSP client of `commit-nudge lsp` (bench/run.py
times its status notifications, bench/replay.py replays work through it)."""

import json
import subprocess
import threading
import time


class Lsp:
    """Starts `binary lsp` on the workspace `root` (a pathlib.Path) and initializes it. Keeps each
    `commitNudge/status` with the time it arrived; answers the server's requests (a
    `window/showDocument` with success when `show_document`, else null)."""

    def __init__(self, binary, root, show_document=False, name="bench"):
        self.proc = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.next_id = 1
        self.cond = threading.Condition()
        self.statuses = []  # (perf_counter time, params)
        self.responses = {}
        self.shown = []  # URIs the server asked to show
        self.show_document = show_document
        threading.Thread(target=self._read, daemon=True).start()
        uri = root.as_uri()
        capabilities = {"window": {"showDocument": {"support": True}}} if show_document else {}
        self.request("initialize", {"processId": None, "rootUri": uri,
                                    "workspaceFolders": [{"uri": uri, "name": name}],
                                    "capabilities": capabilities, "initializationOptions": {}})
        self.notify("initialized", {})

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = json.loads(out.read(length))
            now = time.perf_counter()
            with self.cond:
                if body.get("method") == "commitNudge/status":
                    self.statuses.append((now, body["params"]))
                elif "id" in body and "method" not in body:
                    self.responses[body["id"]] = body
                elif "id" in body:
                    result = None
                    if body["method"] == "window/showDocument" and self.show_document:
                        self.shown.append(body["params"]["uri"])
                        result = {"success": True}
                    self._send({"jsonrpc": "2.0", "id": body["id"], "result": result})
                self.cond.notify_all()

    def _send(self, msg):
        data = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params, timeout=120):
        rid = self.next_id
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.cond:
            self.cond.wait_for(lambda: rid in self.responses, timeout=timeout)
            return self.responses.get(rid)

    def wait_status(self, after, pred, timeout=60):
        """The time of the first status after `after` (perf_counter) whose params satisfy pred."""
        with self.cond:
            def found():
                return next((t for t, p in self.statuses if t >= after and pred(p)), None)
            self.cond.wait_for(lambda: found() is not None, timeout=timeout)
            return found()

    def close(self):
        """shutdown and exit; a server that will not stop is killed."""
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
