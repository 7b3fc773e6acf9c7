"""What the benchmark scripts share: their own database on 127.0.0.1, and a gunicorn they
start, wait for and stop. Loopback only."""

import os
import signal
import socket

# Starts and stops the scripts' own fixed commands (gunicorn, locust, wrk), never a shell.
import subprocess  # nosec B404
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def recreate_database(url: str) -> None:
    """Drop and create the database of this URL (only ever on 127.0.0.1)."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    settings = dj_database_url.parse(url)
    if settings["HOST"] not in ("127.0.0.1", "localhost"):
        raise SystemExit("The benchmarks only use a database on 127.0.0.1")
    connection = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        name = sql.Identifier(settings["NAME"])
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], log: Path) -> subprocess.Popen:
    """A process in its own group, its output to the log."""
    with log.open("w") as out:
        return subprocess.Popen(  # nosec B603
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM to the whole process group, then SIGKILL if it has not gone in 15 s."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def wait_until_up(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log}")
        try:
            # Only ever http://127.0.0.1:<port>/healthz.
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} in {seconds:.0f}s")


def start_gunicorn(port: int, workers: int, log: Path, *options: str) -> subprocess.Popen:
    """The app under the environment's settings, on 127.0.0.1 only."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return start(
        [
            str(gunicorn),
            "cocommissioning.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *options,
        ],
        log,
    )
