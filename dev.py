#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+ and Node.js installed.

    python3 dev.py run    # set up, load the SPMM and demo data, start web + worker + beat
    python3 dev.py test   # set up, then lint, check migrations and run the whole test suite

Set-up is repeatable: the virtual environment and front-end packages are (re)installed only when
pyproject.toml or package-lock.json change. Standard library only, so it runs before anything is
installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in paths:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_python_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit("Python 3.11 or newer is needed.")
    stamp = VENV / f".installed-{fingerprint(ROOT / 'pyproject.toml')}"
    if stamp.exists():
        return
    if not PY.exists():
        say("Creating the virtual environment in .venv")
        run(sys.executable, "-m", "venv", VENV)
    say("Installing Python dependencies")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def ensure_node_env() -> None:
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / f".installed-{fingerprint(lock, ROOT / 'package.json')}"
    if stamp.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("Node.js and npm are needed for the GOV.UK Frontend assets.")
    say("Installing front-end packages (GOV.UK Frontend, axe-core)")
    run(npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund", "--loglevel=error")
    for old in (ROOT / "node_modules").glob(".installed-*"):
        old.unlink()
    stamp.touch()


def manage(*args: str, env: dict | None = None) -> None:
    run(PY, "manage.py", *args, env=env)


def dev_env() -> dict:
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("SITE_URL", f"http://{HOST}:{PORT}")  # links in the emails the worker prints
    return env


def cmd_run() -> None:
    ensure_python_env()
    ensure_node_env()
    env = dev_env()
    say("Preparing the database")
    manage("migrate", "--no-input", env=env)
    manage(
        "import_framework",
        "matrix/seeds/strategic_performance_maturity_matrix.tsv",
        "--name",
        "Strategic Performance Maturity Matrix",
        "--publish",
        env=env,
    )
    manage("seed_demo", env=env)
    say("Starting the background worker with its beat schedule")
    worker = subprocess.Popen(  # noqa: S603
        [
            str(PY),
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--loglevel=INFO",
            "--concurrency=2",
            "-s",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env=env,
    )
    say(f"Open http://{HOST}:{PORT}/ and sign in as one of the demo users above")
    web = subprocess.Popen(  # noqa: S603
        [str(PY), "manage.py", "runserver", f"{HOST}:{PORT}"], cwd=ROOT, env=env
    )
    try:
        while worker.poll() is None and web.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (web, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (web, worker):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def cmd_test(extra: list[str]) -> None:
    ensure_python_env()
    ensure_node_env()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    say("Lint (ruff)")
    run(PY, "-m", "ruff", "check", ".", env=env)
    run(PY, "-m", "ruff", "format", "--check", ".", env=env)
    say("Migrations are complete (makemigrations --check)")
    run(PY, "manage.py", "makemigrations", "--check", "--dry-run", env=env)
    say("Production settings pass the deployment checklist")
    prod = dict(env)
    prod.update(
        {
            "SECRET_KEY": "check-deploy-" + "x" * 50,
            "SECURE": "true",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "contracts.example.org",
        }
    )
    run(PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=prod)
    say("Test suite")
    code = run(PY, "-m", "pytest", *extra, env=env, check=False)
    sys.exit(code)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        sys.exit(__doc__)
    if sys.argv[1] == "run":
        cmd_run()
    else:
        cmd_test(sys.argv[2:])


if __name__ == "__main__":
    main()
