"""A real Git server for the tests: ``git http-backend`` (Debian's git) behind a small
CGI-speaking HTTP server on a free loopback port, optionally asking for Basic credentials.

Repositories are bare ones under a temporary folder; ``GitServer.commit`` writes files (and
symlinks) in a work clone, commits and pushes them to the bare repository through its path,
so the console only ever fetches over HTTP, as it would from a real forge.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


class GitServer:
    """Serves the bare repositories under ``root`` at ``http://127.0.0.1:PORT/NAME.git``."""

    def __init__(self, root: Path, username: str = "", password: str = "") -> None:
        self.root = root
        self.credentials = (username, password) if username else None
        self.requests: list[str] = []  # "METHOD path" of each request, for the tests to look at
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._serve(self)

            def do_POST(self) -> None:
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.git"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- repositories -----------------------------------------------------------------
    def make_repo(self, name: str, branch: str = "main") -> None:
        bare = self.root / f"{name}.git"
        git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(bare))
        work = self.root / "work" / name
        git("init", "--quiet", f"--initial-branch={branch}", str(work))

    def commit(
        self,
        name: str,
        files: dict[str, str],
        symlinks: dict[str, str] | None = None,
        branch: str = "main",
        tag: str = "",
    ) -> str:
        """Write ``files`` (and ``symlinks``: link -> target) in the work clone, commit and
        push them; the new commit's id."""
        work = self.root / "work" / name
        for path, text in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(text)
        for link, target in (symlinks or {}).items():
            (work / link).parent.mkdir(parents=True, exist_ok=True)
            (work / link).unlink(missing_ok=True)
            os.symlink(target, work / link)
        git("add", "-A", cwd=work)
        git("commit", "--quiet", "--allow-empty", "-m", "change", cwd=work)
        git("push", "--quiet", str(self.root / f"{name}.git"), f"HEAD:refs/heads/{branch}", cwd=work)
        if tag:
            git("tag", "-f", tag, cwd=work)
            git("push", "--quiet", "-f", str(self.root / f"{name}.git"), f"refs/tags/{tag}", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).strip()

    # --- HTTP -----------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        self.requests.append(f"{h.command} {h.path}")
        user = ""
        if self.credentials is not None:
            given = h.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
            if given != expected:
                h.send_response(401)
                h.send_header("WWW-Authenticate", 'Basic realm="tests"')
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            user = self.credentials[0]
        path, _, query = h.path.partition("?")
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "REQUEST_METHOD": h.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": h.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_USER": user,
            "HTTP_CONTENT_ENCODING": h.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": h.headers.get("Git-Protocol", ""),
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        h.send_response(status)
        for key, value in headers:
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


@contextmanager
def git_server(root: Path, username: str = "", password: str = "") -> Iterator[GitServer]:
    server = GitServer(root, username, password)
    try:
        yield server
    finally:
        server.close()
