# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""JSON-RPC to an Odoo process, as any external integration calls it (`/jsonrpc`)."""

import json
import time
import urllib.error
import urllib.request


class OdooRpc:
    def __init__(self, url, db, login="admin", password="admin"):
        self.url, self.db, self.password = url.rstrip("/"), db, password
        self.uid = None
        self.login = login

    def _post(self, service, method, *args, timeout=60):
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method, "args": args},
        }
        request = urllib.request.Request(
            self.url + "/jsonrpc", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise RuntimeError(f"{service}.{method}: {data.get('name')}: {data.get('message') or answer['error']}")
        return answer.get("result")  # absent when the method returned None

    def wait_up(self, seconds=120):
        deadline = time.monotonic() + seconds
        while True:
            try:
                with urllib.request.urlopen(self.url + "/web/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.url} did not answer within {seconds}s")
            time.sleep(0.5)

    def __call__(self, model, method, *args, **kwargs):
        if self.uid is None:
            self.uid = self._post("common", "login", self.db, self.login, self.password)
        return self._post("object", "execute_kw", self.db, self.uid, self.password, model, method, list(args), kwargs)

    def get(self, path, timeout=30):
        """GET ``path`` as a browser not logged in: (status, text)."""
        try:
            with urllib.request.urlopen(path if "://" in path else self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
