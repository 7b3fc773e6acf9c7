"""The README's run command: a newcomer runs it and can sign in as a demo user."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_run_command_serves_the_home_page_with_demo_users(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_"))
    }
    env.update(
        PORT=str(port),
        VENV=str(Path(sys.executable).parent.parent),
        # The embedded default is SQLite in the project folder; a test keeps its own.
        DATABASE_URL=f"sqlite:///{tmp_path / 'run-app.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
    )
    log = (tmp_path / "run-app.log").open("w+")
    process = subprocess.Popen(
        ["bash", str(ROOT / "bin" / "run-app")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.5)

        output = Path(log.name).read_text()
        assert f"Open http://127.0.0.1:{port}/" in output
        assert "CCGs: 211 created" in output

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        home = opener.open(f"{base}/").read().decode()
        assert "Primary care co-commissioning" in home
        sign_in = opener.open(f"{base}/sign-in/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', sign_in).group(1)
        password = re.search(r"password for all: (\S+)", output).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "reviewer.midlands", "password": password}
        ).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{base}/sign-in/", data=data, headers={"Referer": f"{base}/sign-in/"}
        )
        signed_in = opener.open(request).read().decode()
        assert "Signed in as Sam Hughes (role: Regional office reviewer)" in signed_in
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
