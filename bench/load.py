"""Serving and loading: gunicorn with the repo's config on loopback, wrk as the separate load process."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = ROOT / "bench" / "wrk"
LOGS = ROOT / "bench" / "results" / "tmp"
CONNECTIONS = 32  # concurrent clients, as the issue asks
# Warming up needs every worker to serve a few requests, not a queue that the timed run would inherit.
WARMUP_CONNECTIONS = 4


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``gunicorn -c gunicorn.conf.py APP`` on 127.0.0.1 (sync workers, the repo's settings), as a context manager."""

    def __init__(self, name, app, env, chdir=None, ready_path="/healthz"):
        self.name, self.app, self.env, self.chdir, self.ready_path = name, app, env, chdir, ready_path
        self.port = free_port()
        self.process = None
        self.log_path = LOGS / f"server-{name}.log"

    @property
    def base(self):
        """Scheme, host and port."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        LOGS.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        if self.chdir:
            command += ["--chdir", str(self.chdir)]
        env = dict(self.env, BIND=f"127.0.0.1:{self.port}")
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*command, self.app], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited; see {self.log_path}")
            try:
                if request("GET", self.base + self.ready_path)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def drain(self):
        """Wait until requests queued by a finished wrk run (their clients gone) have been worked off.

        A few sequential requests each wait behind whatever the workers still hold, so the next scenario
        starts on an idle server instead of inheriting the previous one's backlog.
        """
        for _ in range(4):
            request("GET", self.base + self.ready_path, timeout=120)

    def errors(self):
        """Tracebacks gunicorn logged (a 500 in the product shows up here)."""
        text = self.log_path.read_text(errors="replace")
        return text.count("Traceback (most recent call last)")


def request(method, url, body=None, headers=None, timeout=30):
    """One HTTP request without following redirects: ``(status, headers, body text)``."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def cookies_from(headers, jar=None):
    """Merge a response's Set-Cookie headers into ``jar`` (name → value)."""
    jar = dict(jar or {})
    for header in headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value
    return jar


def cookie_header(jar):
    """The Cookie request header for ``jar``."""
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def wrk_path():
    """Debian's wrk; install it with ``apt-get install wrk`` (make bench and CI do when it is missing)."""
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    return path


def run_wrk(url, script, seconds, connections=CONNECTIONS, threads=2, headers=(), args=()):
    """Run wrk against ``url`` for ``seconds``; return the parsed JSON of bench/wrk/report.lua plus rates."""
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if args:
        command += ["--", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=dict(os.environ, LANG="C"))
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if result.returncode or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    raw = json.loads(line[len("BENCH_JSON ") :])
    seconds_run = raw["duration_us"] / 1e6
    errors = {key: value for key, value in raw["errors"].items() if value and key != "status"}  # statuses: below
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p90_ms": round(raw["latency_us"]["p90"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
        "statuses": {key: raw["statuses"][key] for key in sorted(raw["statuses"])},
        "socket_errors": errors,
        "wrapped": raw.get("wrapped", 0),
    }


def measure(server, path, script, seconds, warmup, expect, headers=(), args=()):
    """A warm-up run (not reported), then the timed run; ``ok`` says every answer had status ``expect``."""
    url = server.base + path
    if warmup:
        run_wrk(url, script, warmup, connections=WARMUP_CONNECTIONS, headers=headers, args=args)
        server.drain()
    figures = run_wrk(url, script, seconds, headers=headers, args=args)
    server.drain()
    return judge(figures, expect)


def judge(figures, expect):
    """Mark a wrk result ``ok`` when requests completed, all with status ``expect``, and no socket failed."""
    unexpected = {status: count for status, count in figures["statuses"].items() if status != str(expect)}
    figures["expected_status"] = expect
    figures["ok"] = not unexpected and not figures["socket_errors"] and figures["requests"] > 0
    if not figures["requests"]:
        figures["problem"] = f"no request completed within {figures['seconds']} s"
    elif not figures["ok"]:
        wrong = ", ".join(f"{count} answered {status}" for status, count in unexpected.items())
        failed = ", ".join(f"{count} {kind} error(s)" for kind, count in figures["socket_errors"].items())
        figures["problem"] = f"{wrong}{'; ' if wrong and failed else ''}{failed} (expected status {expect})"
    return figures
