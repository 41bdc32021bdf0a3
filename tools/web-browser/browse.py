#!/usr/bin/env python3
"""Drives a real headless Chromium (Debian's `chromium`) through a running Strata dashboard.

Logs in through the login form as a user would (typing into the fields and submitting),
then loads each page given and writes its rendered DOM (and, with --screenshots, a PNG).

    browse.py --base http://127.0.0.1:8080 --user demo --password demo \
              --out DIR / /devices/main [--screenshots]

Prints one JSON line per page: {"path", "status", "dom", "png"}. Uses the DevTools protocol
(websocket-client), so the page's DOM is what the browser built, not what curl fetched.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, name, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            msg = json.loads(self.ws.recv())
            if "id" not in msg:
                self.events.append(msg)
        raise TimeoutError(name)

    def load(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--screenshots", action="store_true")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("browse.py: chromium is not installed (apt-get install chromium)")
    os.makedirs(a.out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="strata-chromium-")
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", f"--window-size={a.width},1600", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                sys.exit("browse.py: chromium exited before its DevTools port was known")
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            sys.exit("browse.py: chromium did not announce a DevTools port")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page_target = next(t for t in targets if t.get("type") == "page")
        page = Page(page_target["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Network.enable")
        # The login form, filled in and submitted in the browser.
        page.load(a.base + "/login")
        page.events.clear()
        page.evaluate(
            "document.getElementById('user').value=%s;document.getElementById('password').value=%s;"
            "document.querySelector('form[action=\"/login\"]').submit();" % (json.dumps(a.user), json.dumps(a.password)))
        page.wait_event("Page.loadEventFired")
        for path in a.paths:
            statuses = []
            page.events.clear()
            page.call("Page.navigate", url=a.base + path)
            ev = page.wait_event("Page.loadEventFired")
            for e in page.events:
                if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document":
                    statuses.append(e["params"]["response"]["status"])
            dom = page.evaluate("document.documentElement.outerHTML")
            name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "overview"
            dom_file = os.path.join(a.out, name + ".html")
            with open(dom_file, "w") as f:
                f.write(dom)
            png_file = None
            if a.screenshots:
                page.call("Emulation.setDeviceMetricsOverride", width=a.width, height=800, deviceScaleFactor=1, mobile=a.width < 600)
                h = page.evaluate("document.documentElement.scrollHeight") or 1600
                page.call("Emulation.setDeviceMetricsOverride", width=a.width, height=int(h), deviceScaleFactor=1, mobile=a.width < 600)
                shot = page.call("Page.captureScreenshot", format="png")
                png_file = os.path.join(a.out, name + ".png")
                with open(png_file, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            print(json.dumps({"path": path, "status": statuses[-1] if statuses else None, "url": page.evaluate("location.pathname"),
                              "dom": dom_file, "png": png_file}), flush=True)
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
