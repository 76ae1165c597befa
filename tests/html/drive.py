#!/usr/bin/env python3
"""Drives a real headless Chromium over the DevTools protocol (--remote-debugging-pipe: fd 3 in,
fd 4 out, messages separated by NUL; no network port, no library beyond Python's own) to test
apim-probe's HTML page the way a person uses it.

    drive.py PAGE.html SCREENSHOT.png

Opens the page from its file, records every console message, exception and log entry (a CSP
violation is one), then reads the matrix, really clicks the "only rows that fail" checkbox and a
cell (mouse events at their place on screen), chooses one VM and one dependency in the filters,
and takes a screenshot. Prints one JSON object of what it saw; tests/html_page.rs judges it.
"""
import base64
import json
import os
import pathlib
import select
import subprocess
import sys
import tempfile
import time

DEADLINE = 60.0  # seconds for the whole run: every wait below is bounded by it


class Browser:
    def __init__(self, user_data_dir):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + user_data_dir, "--remote-debugging-pipe",
                "--window-size=1400,1000", "--hide-scrollbars", "about:blank",
            ],
            preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.start = time.monotonic()

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        return self.wait(lambda m: m.get("id") == self.next_id)

    def wait(self, match):
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if "method" in m:
                    self.events.append(m)
                if match(m):
                    if "error" in m:
                        raise RuntimeError(json.dumps(m["error"]))
                    return m.get("result", m)
            left = DEADLINE - (time.monotonic() - self.start)
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self.buf += chunk

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - closing is best effort; the process is killed next
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    page, shot = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="apim-probe-chromium-") as profile:
        b = Browser(profile)
        try:
            print(json.dumps(run(b, page, shot)))
        finally:
            b.close()


def run(b, page, shot):
    target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        b.send(domain + ".enable", session=s)
    b.send("Page.navigate", {"url": page.as_uri()}, session=s)
    b.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == s)

    def js(expr):
        r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
        if "exceptionDetails" in r:
            raise RuntimeError(json.dumps(r["exceptionDetails"]))
        return r["result"].get("value")

    def click(selector):
        box = js(f"JSON.stringify(document.querySelector({json.dumps(selector)}).getBoundingClientRect())")
        box = json.loads(box)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for kind in ("mousePressed", "mouseReleased"):
            b.send("Input.dispatchMouseEvent",
                   {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}, session=s)

    visible_rows = "Array.from(document.querySelectorAll('#matrix tbody tr')).filter(r => !r.hidden).map(r => r.dataset.id)"
    visible_cols = "Array.from(document.querySelectorAll('#matrix thead th')).filter(c => !c.hidden).length"
    seen = {
        "title": js("document.title"),
        "columns": js("document.querySelectorAll('#matrix thead th').length - 4"),
        "rows": js("document.querySelectorAll('#matrix tbody tr').length"),
        "cells": js("document.querySelectorAll('#matrix tbody td[data-c]').length"),
        "failing_rows": js("document.querySelectorAll('#matrix tbody tr[data-fails=\"1\"]').length"),
        "shown_text": js("document.getElementById('shown').textContent"),
    }
    click("#only-failures")
    seen["after_only_failures"] = js(visible_rows)
    seen["only_failures_checked"] = js("document.getElementById('only-failures').checked")
    click("#only-failures")
    seen["after_uncheck"] = len(js(visible_rows))
    click("#matrix tbody tr td[data-c]")
    seen["detail_hidden"] = js("document.getElementById('detail').hidden")
    seen["detail"] = {k: js(f"document.getElementById('d-{k}').textContent") for k in ("vm", "row", "status", "detail", "hint")}
    last = js("String(document.querySelectorAll('#vm option').length - 2)")
    js(f"(() => {{ const v = document.getElementById('vm'); v.value = '{last}'; v.dispatchEvent(new Event('change')); }})()")
    seen["one_vm_columns"] = js(visible_cols) - 4
    js("(() => { const v = document.getElementById('vm'); v.value = ''; v.dispatchEvent(new Event('change')); })()")
    dep = js("document.querySelector('#matrix tbody tr').dataset.id")
    js(f"(() => {{ const d = document.getElementById('dep'); d.value = {json.dumps(dep)}; d.dispatchEvent(new Event('change')); }})()")
    seen["one_dependency"] = {"id": dep, "rows": js(visible_rows)}
    js("(() => { const d = document.getElementById('dep'); d.value = ''; d.dispatchEvent(new Event('change')); })()")
    click("#matrix tbody tr td[data-c]")
    # The whole page in one picture: the viewport made as tall as the document.
    height = js("Math.ceil(document.documentElement.scrollHeight)")
    b.send("Emulation.setDeviceMetricsOverride",
           {"width": 1400, "height": min(height, 4000), "deviceScaleFactor": 1, "mobile": False}, session=s)
    png = b.send("Page.captureScreenshot", {"format": "png"}, session=s)["data"]
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(png))
    # Set by any script a hostile value would have smuggled in (tests/html_page.rs plants them).
    seen["pwned"] = js("document.body.dataset.pwned || null")
    seen["console"] = [
        {"method": e["method"], "params": e["params"]}
        for e in b.events
        if e["method"] in ("Runtime.exceptionThrown", "Log.entryAdded")
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "warning", "assert"))
    ]
    return seen


if __name__ == "__main__":
    main()
