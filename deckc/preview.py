"""Live preview for `deckc watch --serve`: the build folder over HTTP on 127.0.0.1, and pages that
reload themselves after each rebuild, on the slide the author was looking at (the player keeps the
slide in the URL fragment, which a reload keeps).

A small stdlib server: the served HTML pages get a few lines of script that ask /__deckc/build
every half second which build is current (the files on disk stay byte-for-byte what `deckc build`
writes). Requests are short and answered by daemon threads; stopping the server (Ctrl-C in
`deckc watch`) closes the socket and leaves nothing running.
"""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BUILD_PATH = "/__deckc/build"
RELOAD_JS = """<script>
/* deckc watch --serve: reload after a rebuild (the slide stays: it is in the URL fragment) */
(function () {
  var seen = null, wait = 500;
  function poll() {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (d) {
      if (seen !== null && d.build !== seen) { location.reload(); return; }
      seen = d.build; wait = 500; setTimeout(poll, wait);
    }).catch(function () { wait = Math.min(wait * 2, 5000); setTimeout(poll, wait); });
  }
  poll();
})();
</script>
""" % BUILD_PATH


class _Handler(SimpleHTTPRequestHandler):
    server_version = "deckc-preview"

    def __init__(self, *args, preview: "PreviewServer", **kwargs):
        self.preview = preview
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):      # noqa: A002 - the authors' terminal shows builds, not requests
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == BUILD_PATH:
            return self._send(json.dumps({"build": self.preview.build}).encode(), "application/json")
        if path == "/":
            start = self.preview.start_page()
            if start:
                self.send_response(302)
                self.send_header("Location", "/" + start)
                self.end_headers()
                return None
        target = Path(self.translate_path(path))
        if target.suffix == ".html" and target.is_file():
            return self._send(_with_reload(target.read_text(encoding="utf-8", errors="replace")).encode(),
                              "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, ctype: str):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _with_reload(page: str) -> str:
    # the lesson's own policy allows no connections; the preview needs one, to its own server
    page = page.replace("default-src 'none';", "default-src 'none'; connect-src 'self';", 1)
    at = page.rfind("</body>")
    return page[:at] + RELOAD_JS + page[at:] if at >= 0 else page + RELOAD_JS


class PreviewServer:
    """Serves `root` on 127.0.0.1:`port` (0: any free port) in a background thread."""

    def __init__(self, root: Path, port: int = 8000):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.lessons: set[str] = set()
        self.build = 0
        handler = partial(_Handler, directory=str(self.root), preview=self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="deckc-preview", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def start_page(self) -> str | None:
        """One lesson: its page; several: the folder's index."""
        if len(self.lessons) == 1:
            (only,) = self.lessons
            if (self.root / only / f"{only}.html").is_file():
                return f"{only}/{only}.html"
        return "index.html" if (self.root / "index.html").is_file() else None

    def built(self, results) -> None:
        """After a (re)build: pages that ask next will reload."""
        self.lessons |= {r.lesson_id for r in results if r.lesson_id}
        self.build += 1

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
