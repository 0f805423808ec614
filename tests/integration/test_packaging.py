"""What the Dockerfile and the systemd unit install is the wheel: it must carry everything
azby needs at run time (migrations, the default topics), and the unit file must be valid."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_alone_migrates_a_database_and_runs(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
         str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("azby-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    work = tmp_path / "work"  # outside the repository: nothing can come from the source tree
    work.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "AZBY_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'azby.sqlite3'}",
        "AZBY_FEEDS_FILE": str(work / "feeds.yaml"),
    }
    (work / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")

    def azby(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=work, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", "import bot, storage; print(bot.__file__, storage.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.split() == [
        str(site / "bot/__init__.py"),
        str(site / "storage/__init__.py"),
    ]
    upgraded = azby("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Database is up to date" in upgraded.stdout
    with sqlite3.connect(work / "azby.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        head = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert {"feeds", "articles", "chats", "subscriptions", "outbox"} <= tables
    newest = max(p.name.split("_")[0] for p in (ROOT / "storage/migrations/versions").glob("0*.py"))
    assert head == newest
    # the default topics ship inside the package: classify works with no feeds.yaml at all
    (work / "feeds.yaml").unlink()
    classified = subprocess.run(
        [sys.executable, "-m", "bot", "classify"], cwd=work, env=env, capture_output=True,
        text=True, timeout=120,
        input='{"id": 1, "title": "Azerbaijan and Belarus sign a trade deal in Minsk", "text": ""}\n',
    )  # fmt: skip
    assert classified.returncode == 0, classified.stderr
    assert '"relevant": true' in classified.stdout and "trade" in classified.stdout


def test_the_systemd_unit_is_valid(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (package systemd) is needed to check deploy/azby.service"
    unit = (ROOT / "deploy/azby.service").read_text(encoding="utf-8")
    # verify checks that the commands exist: point them at this checkout's azby
    azby = Path(sys.executable).with_name("azby")
    local = unit.replace("/opt/azby/venv/bin/azby", str(azby))
    assert local != unit
    (tmp_path / "azby.service").write_text(local, encoding="utf-8")
    checked = subprocess.run(
        [analyze, "verify", str(tmp_path / "azby.service")], capture_output=True, text=True
    )
    # a key systemd does not know, or a value it cannot parse, is only a warning
    problems = [line for line in (checked.stdout + checked.stderr).splitlines() if line.strip()]
    assert checked.returncode == 0 and not problems, checked.stdout + checked.stderr
    assert re.search(r"^ExecReload=/bin/kill -HUP \$MAINPID$", unit, re.M)  # /reload's signal
    assert re.search(r"^EnvironmentFile=/etc/azby/azby.env$", unit, re.M)


def test_compose_runs_the_bot_on_postgresql_with_the_documented_variables() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"bot", "postgres"} <= set(services)
    bot = services["bot"]
    environment = bot["environment"]
    assert environment["AZBY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in environment["AZBY_DATABASE_URL"]
    documented = set(re.findall(r"`(AZBY_[A-Z_]+)`", (ROOT / "README.md").read_text("utf-8")))
    assert set(environment) <= documented, set(environment) - documented
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # what the image copies exists, and it runs as a user, not root
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert re.search(r'^CMD \["run"\]', dockerfile, re.M)
    # its health check asks the port the bot serves /healthz on
    port = re.search(r"AZBY_HTTP_PORT=(\d+)", dockerfile)
    assert port and environment["AZBY_HTTP_PORT"] == port[1]
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
