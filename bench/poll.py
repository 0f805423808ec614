"""Benchmark: an azby poll cycle against lemon24/reader on the same local feeds.

    scripts/bench                         # 500 feeds × 50 items, 3 rounds (installs first)
    scripts/bench --feeds 20 --items 10 --repeat 1     # smoke run

What is measured. ``--feeds`` synthetic RSS 2.0 feeds of ``--items`` items each (``_feeds.py``:
en/ru/az titles and HTML descriptions, about one item in eight on Azerbaijan–Belarus) are served
from 127.0.0.1 by ``_server.py``, a separate process (its CPU is not the client's) that answers
with gzip, ETag and Last-Modified and gives 304 to a matching conditional GET. Each round then
runs, every one in a fresh process, timed from spawn to exit:

* azby ``startup``: ``azby poll --once`` with no feeds (interpreter, imports, database setup);
* azby ``first``: ``azby poll --once`` on a new SQLite database (every feed answers 200);
* azby ``second``: the same command again on that database (every feed answers 304);
* the same three for reader: ``make_reader(db)``, ``add_feed`` for each feed (first update
  only) and ``update_feeds(workers=N, scheduled=False)`` (``_reader_update.py``).

azby gets ``poll: {concurrency: N}`` in its feeds.yaml and reader ``workers=N``, the same N.
Wall time comes from ``time.perf_counter`` around the child. CPU time (user + system) and
memory cover the child and all its descendants (azby's poll worker processes and their fork
server, which ``wait4`` does not account for): ``/proc`` is sampled every 50 ms for the peak
of their summed RSS (shared pages counted once per process: the conservative figure, the one
the target is checked on) and of their summed PSS (shared pages split), and for their CPU
time; ``wait4`` adds the child's own. ``items/s`` is
feeds × items ÷ wall time (for a 304 poll: items kept up to date per second).

The figures are checked to be real: the server's count of answers must be one 200 per feed
for a first poll and one 304 per feed for a second; azby's database must then hold feeds ×
items articles and reader's feeds × items entries (counted with sqlite3, outside the timing).

``--what-if`` adds the same three runs of ``_azby_unclassified.py`` each round: azby's poll
with ``classify`` swapped for a stand-in, which is reader's work. It is reported apart, with
no target.

Targets (issue 3), from medians over ``--repeat`` rounds: azby's first-poll throughput at least
2× reader's; azby's 304 poll at least 5× cheaper (wall time) than its first; azby's peak RSS
(the largest of all its runs) under 200 MB. ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from _feeds import LANGUAGES, feed_xml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PHASES = ("startup", "first", "second")
# the what-if of ``--what-if`` (``_azby_unclassified.py``): azby's poll without classifying
WHAT_IF = "ingest"
AZBY_COMMANDS = {
    "azby": [sys.executable, "-m", "bot", "poll", "--once"],
    WHAT_IF: [sys.executable, str(BENCH / "_azby_unclassified.py")],
}
PHASE_LABELS = {
    "startup": "startup, no feeds",
    "first": "first poll (200)",
    "second": "second (304)",
}


class BenchError(Exception):
    """The benchmark cannot give a figure it can stand behind; the message says why."""


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process."""

    tool: str
    phase: str
    wall: float
    cpu: float
    rss_mb: float  # peak of the summed RSS of the process and its descendants
    pss_mb: float  # peak of their summed PSS
    processes: int


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything one round needs: the served feeds and the files describing them."""

    work: Path
    port: int
    feeds: int
    items: int
    concurrency: int
    workers: int = 0

    @property
    def expected(self) -> int:
        return self.feeds * self.items


# --- measuring -----------------------------------------------------------------------------


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants (azby's poll workers and their fork server
    are not children that ``wait4`` accounts for) every ``every`` seconds from ``/proc``:
    the peak of their summed RSS, the peak of their summed PSS (shared pages split between
    the processes sharing them) and their CPU time."""

    def __init__(self, root: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_rss = self.peak_pss = 0.0  # MiB
        self.cpu: dict[int, float] = {}  # pid → last seen user + system time, its own
        self.children: dict[int, float] = {}  # pid → last seen CPU of the children it reaped
        self.done = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.sample()

    def tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def sample(self) -> None:
        rss = pss = 0.0
        for pid in self.tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue  # gone meanwhile
            # utime, stime, cutime, cstime: fields 14–17 of stat (11–14 after the name); a
            # process's reaped children are sampled themselves: their CPU is not added twice
            own, reaped = fields[11:13], fields[13:15]
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), sum(map(int, own)) / self.tick)
            self.children[pid] = sum(map(int, reaped)) / self.tick
            values = dict(
                (line.split()[0].rstrip(":"), int(line.split()[1]))
                for line in rollup.splitlines()[1:]
                if line.split()[0] in ("Rss:", "Pss:")
            )
            rss += values.get("Rss", 0) / 1024
            pss += values.get("Pss", 0) / 1024
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)


def measure(tool: str, phase: str, command: list[str], env: dict[str, str], log: Path) -> Run:
    """Run ``command`` to completion; its wall time, CPU time and peak memory, the
    process's descendants included."""
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=log.parent, stdout=out, stderr=out)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise BenchError(
            f"{tool} {phase} exited with {child.returncode}; end of {log}:\n" + "\n".join(tail)
        )
    # the sampled processes' own CPU, plus what wait4 reports beyond the child's last sample
    # (its own last moments and children reaped after it); ru_maxrss is in KiB on Linux
    sampled = sum(sampler.cpu.values())
    seen = sampler.cpu.get(child.pid, 0.0) + sampler.children.get(child.pid, 0.0)
    tail = max(0.0, usage.ru_utime + usage.ru_stime - seen)
    done = Run(
        tool,
        phase,
        wall,
        sampled + tail,
        max(usage.ru_maxrss / 1024, sampler.peak_rss),
        sampler.peak_pss,
        len(sampler.cpu),
    )
    print(
        f"  {tool:<6} {phase:<8} {done.wall:7.2f} s wall {done.cpu:7.2f} s CPU "
        f"{done.rss_mb:6.0f} MB peak RSS ({done.pss_mb:.0f} MB PSS, {done.processes} "
        f"process{'es' if done.processes > 1 else ''})",
        flush=True,
    )
    return done


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def server_answers(setup: Setup) -> dict[str, int]:
    """How the server answered since the last call (and start counting again)."""
    url = f"http://127.0.0.1:{setup.port}/_stats?reset=1"
    with _no_proxy_opener().open(url, timeout=10) as response:
        return dict(json.load(response))


def expect_answers(setup: Setup, what: str, status: str) -> None:
    answers = server_answers(setup)
    if answers != {status: setup.feeds}:
        raise BenchError(
            f"{what}: expected {setup.feeds} answers {status}, the server gave {answers}"
        )


def count_rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def expect_rows(db: Path, table: str, expected: int, what: str) -> None:
    found = count_rows(db, table)
    if found != expected:
        raise BenchError(f"{what}: expected {expected} rows in {table} of {db}, found {found}")


# --- one round -----------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_PROXY="127.0.0.1", no_proxy="127.0.0.1", AZBY_ALLOW_PRIVATE_NETWORKS="1")
    for secret in ("AZBY_TELEGRAM_TOKEN", "AZBY_ADMIN_IDS"):
        env.pop(secret, None)
    return env


def azby_round(setup: Setup, number: int, tool: str = "azby") -> list[Run]:
    """azby's startup, first poll and second poll (each a fresh process running
    ``AZBY_COMMANDS[tool]``)."""
    runs = []
    env = child_env()
    for phase, feeds_file in (
        ("startup", "empty.yaml"),
        ("first", "feeds.yaml"),
        ("second", "feeds.yaml"),
    ):
        db = setup.work / f"{tool}-{number}-{'startup' if phase == 'startup' else 'polls'}.db"
        env["AZBY_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
        env["AZBY_FEEDS_FILE"] = str(setup.work / feeds_file)
        server_answers(setup)
        log = setup.work / f"{tool}-{number}-{phase}.log"
        runs.append(measure(tool, phase, AZBY_COMMANDS[tool], env, log))
        if phase == "startup":
            continue
        expect_answers(setup, f"{tool} {phase} poll", "200" if phase == "first" else "304")
        expect_rows(db, "articles", setup.expected, f"{tool} after its {phase} poll")
    return runs


def reader_round(setup: Setup, number: int) -> list[Run]:
    """reader's startup, first update (feeds added) and second update."""
    runs = []
    base = [sys.executable, str(BENCH / "_reader_update.py")]
    workers = ["--workers", str(setup.concurrency)]
    env = child_env()
    for phase in PHASES:
        db = setup.work / f"reader-{number}-{'startup' if phase == 'startup' else 'polls'}.db"
        extra = ["--add", str(setup.work / "reader-feeds.txt")] if phase == "first" else []
        server_answers(setup)
        log = setup.work / f"reader-{number}-{phase}.log"
        runs.append(measure("reader", phase, [*base, str(db), *workers, *extra], env, log))
        if phase == "startup":
            continue
        expect_answers(setup, f"reader {phase} update", "200" if phase == "first" else "304")
        expect_rows(db, "entries", setup.expected, f"reader after its {phase} update")
    return runs


# --- setup ---------------------------------------------------------------------------------


def write_feeds(directory: Path, feeds: int, items: int) -> None:
    directory.mkdir()
    now = datetime.now(UTC).replace(microsecond=0)
    for index in range(feeds):
        (directory / f"{index:04d}.xml").write_bytes(feed_xml(index, items, now))


def write_configs(setup: Setup, timeout: float) -> None:
    urls = [f"http://127.0.0.1:{setup.port}/feeds/{i:04d}.xml" for i in range(setup.feeds)]
    lines = ["feeds:"]
    for index, url in enumerate(urls):
        language = LANGUAGES[index % len(LANGUAGES)]
        lines += [f"  - name: Outlet {index:04d}", f"    url: {url}", f"    language: {language}"]
    poll = f"poll:\n  concurrency: {setup.concurrency}\n  timeout: {timeout:g}\n"
    poll += f"  workers: {setup.workers}\n"
    (setup.work / "feeds.yaml").write_text("\n".join(lines) + "\n" + poll)
    (setup.work / "empty.yaml").write_text("feeds: []\n" + poll)
    (setup.work / "reader-feeds.txt").write_text("\n".join(urls) + "\n")


def start_server(feeds_dir: Path, latency: float) -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen(
        [sys.executable, str(BENCH / "_server.py"), str(feeds_dir), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    if not line.isdigit():
        server.kill()
        raise BenchError(f"the feed server did not start (it said {line!r})")
    return server, int(line)


def check_environment() -> None:
    missing = [name for name in ("bot", "reader", "aiohttp") if not importlib.util.find_spec(name)]
    if missing:
        raise BenchError(
            f"{', '.join(missing)} not importable by {sys.executable}: run scripts/bench, "
            "which installs azby and bench/requirements.txt into .venv-bench"
        )


def describe_source() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = (
        " with uncommitted changes" if git("status", "--porcelain", "--", "bot", "storage") else ""
    )
    return f"azby {version('azby')} at {commit}{dirty}; reader {version('reader')}"


# --- report --------------------------------------------------------------------------------


def median_of(runs: list[Run], tool: str, phase: str, field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs if (r.tool, r.phase) == (tool, phase))


def report(runs: list[Run], setup: Setup) -> bool:
    """Print the table of medians and the targets; whether every target is met."""
    print()
    header = (
        f"{'tool':<7}{'run':<20}{'wall s':>8}{'items/s':>10}{'CPU s':>8}{'peak RSS MB':>13}"
        f"{'PSS MB':>8}"
    )
    print(header)
    print("-" * len(header))
    tools = list(dict.fromkeys(r.tool for r in runs))  # azby, reader, then the what-if
    for tool in tools:
        for phase in PHASES:
            wall = median_of(runs, tool, phase, "wall")
            rate = f"{setup.expected / wall:,.0f}" if phase != "startup" else "—"
            cpu = median_of(runs, tool, phase, "cpu")
            rss = max(r.rss_mb for r in runs if (r.tool, r.phase) == (tool, phase))
            pss = max(r.pss_mb for r in runs if (r.tool, r.phase) == (tool, phase))
            print(
                f"{tool:<7}{PHASE_LABELS[phase]:<20}{wall:>8.2f}{rate:>10}{cpu:>8.2f}{rss:>13.0f}"
                f"{pss:>8.0f}"
            )
    print(
        "(medians of wall and CPU time; memory is the largest of the rounds, summed over the "
        "process and its descendants)"
    )

    def med(tool: str, phase: str, field: str = "wall") -> float:
        return median_of(runs, tool, phase, field)

    throughput = med("reader", "first") / med("azby", "first")
    cheaper = med("azby", "first") / med("azby", "second")
    peak = max(r.rss_mb for r in runs if r.tool == "azby")
    targets = [
        ("azby first-poll items/s ÷ reader's", f"{throughput:.2f}×", "≥ 2×", throughput >= 2),
        ("azby first poll ÷ 304 poll, wall time", f"{cheaper:.2f}×", "≥ 5×", cheaper >= 5),
        ("azby peak RSS, any run", f"{peak:.0f} MB", "< 200 MB", peak < 200),
    ]
    print()
    print(f"{'target (issue 3)':<40}{'value':>10}  {'wanted':<10}verdict")
    for name, value, wanted, ok in targets:
        print(f"{name:<40}{value:>10}  {wanted:<10}{'PASS' if ok else 'FAIL'}")
    startup = med("azby", "startup")
    cpu_ratio = med("azby", "first", "cpu") / med("azby", "second", "cpu")
    reader_ratio = med("reader", "first") / med("reader", "second")
    first_net, second_net = med("azby", "first") - startup, med("azby", "second") - startup
    context = [
        ("azby first ÷ 304 poll, CPU time", f"{cpu_ratio:.2f}×"),
        ("azby wall time beyond startup", f"first {first_net:.2f} s, 304 {second_net:.2f} s"),
        ("reader first ÷ 304 update, wall time", f"{reader_ratio:.2f}×"),
    ]
    _figures("for context (no target):", context)
    if WHAT_IF in tools:
        share = 1 - med(WHAT_IF, "first") / med("azby", "first")
        what_if = [
            (
                "its first-poll items/s ÷ reader's",
                f"{med('reader', 'first') / med(WHAT_IF, 'first'):.2f}×",
            ),
            ("share of azby's first poll left out", f"{share:.0%}"),
        ]
        title = (
            f"what-if, no target ({WHAT_IF} = azby's poll with classify swapped for a stand-in:\n"
            "no language, relevance, topics, summary or story grouping; what reader does):"
        )
        _figures(title, what_if)
    return all(ok for *_, ok in targets)


def _figures(title: str, rows: list[tuple[str, str]]) -> None:
    print()
    print(title)
    for name, value in rows:
        print(f"  {name + ':':<40}{value}")


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/poll.py", description=__doc__.splitlines()[0], epilog="See bench/README.md."
    )
    parser.add_argument("--feeds", type=int, default=500, help="number of feeds (500)")
    parser.add_argument("--items", type=int, default=50, help="items per feed (50)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians reported (3)")
    parser.add_argument(
        "--concurrency", type=int, default=20, help="azby's poll concurrency = reader's workers"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="azby's poll.workers: worker processes (0)"
    )
    parser.add_argument("--timeout", type=float, default=30, help="azby's poll timeout, s (30)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="server delay per answer, s (0: CPU-bound)"
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also time azby's poll with classifying swapped out (_azby_unclassified.py), "
        "apart from the targets",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    if args.what_if and args.workers:
        # a worker process classifies with the real classify: the stand-in stays in the parent
        parser.error("--what-if needs --workers 0")
    if min(args.feeds, args.items, args.repeat, args.concurrency) < 1:
        parser.error("--feeds, --items, --repeat and --concurrency must be at least 1")
    return args


def run(args: argparse.Namespace, work: Path) -> bool:
    check_environment()
    print(f"{describe_source()}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        f"{args.feeds} feeds × {args.items} items, concurrency/workers {args.concurrency}, "
        f"azby poll.workers {args.workers}, "
        f"server latency {args.latency:g} s, {args.repeat} round(s); work dir {work}"
    )
    write_feeds(work / "feeds", args.feeds, args.items)
    server, port = start_server(work / "feeds", args.latency)
    try:
        setup = Setup(work, port, args.feeds, args.items, args.concurrency, args.workers)
        write_configs(setup, args.timeout)
        runs: list[Run] = []
        for number in range(1, args.repeat + 1):
            print(f"round {number} of {args.repeat}", flush=True)
            runs += azby_round(setup, number)
            runs += reader_round(setup, number)
            if args.what_if:
                runs += azby_round(setup, number, WHAT_IF)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return report(runs, setup)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="azby-bench-"))
    try:
        met = run(args, work)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
