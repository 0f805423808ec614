"""``azby export --format opml|yaml`` and ``azby import FILE``: round trips and bad files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_feeds_yaml
from bot.feedlist import read_feed_list

AZBY = str(Path(sys.executable).with_name("azby"))

FEEDS_YAML = """\
feeds:
  - {name: Trend, url: 'https://en.trend.az/rss', language: en}
  - {name: БелТА – новости, url: 'https://www.belta.by/rss', language: ru, interval: 1h30m}
  - {name: "Report: Azərbaycan", url: 'https://report.az/rss/', language: az, interval: 2d}
  - {name: "yes", url: 'https://sb.by/rss/', enabled: false, interval: 45s}
"""
ADMIN_FEEDS = """\
feeds:
  - {name: Mінск & <Baku>, url: 'https://admin.example/rss?a=1&b=2', interval: 10m}
  - {name: Paused admin feed, url: 'https://off.example/feed.xml', enabled: false}
"""


def azby(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AZBY, *args], env=env, capture_output=True, text=True, timeout=120)


def environment(tmp_path: Path, name: str, feeds_yaml: str | None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AZBY_")}
    feeds_file = tmp_path / f"{name}.feeds.yaml"
    if feeds_yaml is not None:
        feeds_file.write_text(feeds_yaml, encoding="utf-8")
    environ.update(
        AZBY_FEEDS_FILE=str(feeds_file),
        AZBY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / name / 'azby.sqlite3'}",
    )
    return environ


@pytest.fixture
def source(tmp_path: Path) -> dict[str, str]:
    """A database with config feeds (one of them disabled, one dropped from the file since)
    and admin feeds."""
    env = environment(
        tmp_path, "source", FEEDS_YAML + "  - {name: Dropped, url: 'https://x.example/'}\n"
    )
    admin = tmp_path / "admin.yaml"
    admin.write_text(ADMIN_FEEDS, encoding="utf-8")
    result = azby("import", str(admin), env=env)
    assert result.returncode == 0, result.stderr
    (tmp_path / "source.feeds.yaml").write_text(FEEDS_YAML, encoding="utf-8")
    return env


@pytest.mark.parametrize("fmt", ["yaml", "opml"])
def test_export_import_export_loses_nothing(
    tmp_path: Path, source: dict[str, str], fmt: str
) -> None:
    first = azby("export", "--format", fmt, env=source)
    assert first.returncode == 0, first.stderr
    exported = tmp_path / f"feeds.{fmt}"
    exported.write_text(first.stdout, encoding="utf-8")
    feeds = read_feed_list(exported.read_bytes(), exported)
    assert sorted((f.name, f.enabled) for f in feeds) == [
        ("Dropped", False),
        ("Mінск & <Baku>", True),
        ("Paused admin feed", False),
        ("Report: Azərbaycan", True),
        ("Trend", True),
        ("yes", False),
        ("БелТА – новости", True),
    ]

    empty = environment(tmp_path, "empty", None)
    imported = azby("import", str(exported), env=empty)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[-1] == (
        f"{exported}: 7 feeds: 7 added, 0 updated, 0 skipped."
    )
    second = azby("export", "--format", fmt, env=empty)
    assert second.stdout == first.stdout
    # and the other format says the same
    other = "opml" if fmt == "yaml" else "yaml"
    assert (
        azby("export", "--format", other, env=empty).stdout
        == azby("export", "--format", other, env=source).stdout
    )


def test_a_yaml_export_is_a_valid_feeds_yaml(tmp_path: Path, source: dict[str, str]) -> None:
    exported = azby("export", "--format", "yaml", env=source).stdout
    config = parse_feeds_yaml(exported, tmp_path / "feeds.yaml")
    assert len(config.feeds) == 7
    assert "interval: 1h30m" in exported and "interval: 2d" in exported
    assert "name: 'yes'" in exported  # a name YAML would read as a boolean stays a string


def test_importing_twice_updates_instead_of_duplicating(
    tmp_path: Path, source: dict[str, str]
) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        "feeds:\n"
        "  - {name: Mінск & <Baku>, url: 'https://admin.example/rss?a=1&b=2', interval: 1h}\n"
        "  - {name: Paused admin feed, url: 'https://off.example/feed.xml', enabled: false}\n"
        "  - {name: Trend, url: 'https://en.trend.az/rss', language: ru}\n"
        "  - {name: New one, url: 'https://new.example/rss'}\n",
        encoding="utf-8",
    )
    result = azby("import", str(changed), env=source)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "updated: Mінск & <Baku> <https://admin.example/rss?a=1&b=2> (interval)",
        "skipped: Paused admin feed <https://off.example/feed.xml> (unchanged)",
        "skipped: Trend <https://en.trend.az/rss> (listed in feeds.yaml: change it there)",
        "added: New one <https://new.example/rss>",
        f"{changed}: 4 feeds: 1 added, 1 updated, 2 skipped.",
    ]
    again = azby("import", str(changed), env=source)
    assert again.stdout.splitlines()[-1] == f"{changed}: 4 feeds: 0 added, 0 updated, 4 skipped."
    exported = azby("export", "--format", "yaml", env=source).stdout
    assert exported.count("url: https://admin.example/rss?a=1&b=2") == 1
    assert exported.count("name: New one") == 1


CORRUPT_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <body>
    <outline text="Good one" xmlUrl="https://good.example/rss"/>
    <outline text="Broken" xmlUrl="https://broken.example/rss">
  </body>
</opml>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (CORRUPT_OPML, "line 6: not valid XML: mismatched tag"),
        (
            b'<opml><body>\n<outline text="ok" xmlUrl="https://ok.example/"/>\n'
            b'<outline text="Local" xmlUrl="file:///etc/passwd"/></body></opml>',
            "line 3: outline: url: must be an http(s) URL with a host (got 'file:///etc/passwd')",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            b'<opml><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
            "line 2: refused: the file declares a DTD",
        ),
        (
            b"<html><body><p>Not found</p></body></html>",
            "line 1: not an OPML file (its root is <html>)",
        ),
        (
            b"feeds:\n  - name: A\n    url: https://a.example/rss\n  - name: B\n   url: x\n",
            "line 5: invalid YAML",
        ),
        (
            b"feeds:\n  - {name: A, url: 'https://a.example/rss'}\n"
            b"  - {name: B, url: 'https://b.example/rss', interval: often}\n",
            "line 3: feeds[1].interval: must look like 10m or 1h",
        ),
        (b"\xff\xd8\xff\xe0 a JPEG", "neither OPML nor UTF-8 YAML"),
        (b"", "no feeds to import"),
    ],
    ids=[
        "corrupt-opml",
        "file-url",
        "xml-bomb",
        "html",
        "bad-yaml",
        "bad-interval",
        "binary",
        "empty",
    ],
)
def test_a_bad_file_is_one_line_and_imports_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    env = environment(tmp_path, "db", None)
    bad = tmp_path / "bad.file"
    bad.write_bytes(content)
    result = azby("import", str(bad), env=env)
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"azby: error: {bad}")
    assert message in line
    assert not (tmp_path / "db").exists()  # refused before the database was even opened


def test_a_missing_file(tmp_path: Path) -> None:
    env = environment(tmp_path, "db", None)
    result = azby("import", str(tmp_path / "nope.opml"), env=env)
    assert result.returncode == 2
    assert result.stderr == (
        f"azby: error: {tmp_path / 'nope.opml'}: cannot read: No such file or directory\n"
    )


def test_a_password_in_an_imported_url_is_not_printed(tmp_path: Path) -> None:
    env = environment(tmp_path, "db", None)
    private = tmp_path / "private.yaml"
    private.write_text(
        "feeds:\n  - {name: Private, url: 'https://reader:s3cret@intranet.example/rss'}\n",
        encoding="utf-8",
    )
    result = azby("import", str(private), env=env)
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert "added: Private <https://reader:***@intranet.example/rss>" in result.stdout


def test_opml_from_another_reader(tmp_path: Path) -> None:
    """Categories, a region in the language, no azby attributes: the defaults apply."""
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="1.0"><head><title>Subs</title></head><body>\n'
        '<outline text="News">\n'
        '  <outline title="Trend" type="rss" xmlUrl="https://en.trend.az/rss" language="en-US"/>\n'
        "</outline></body></opml>\n",
        encoding="utf-8",
    )
    feeds = read_feed_list(opml.read_bytes(), opml)
    assert [(f.name, f.url, f.language, f.interval.total_seconds(), f.enabled) for f in feeds] == [
        ("Trend", "https://en.trend.az/rss", "en", 900.0, True)
    ]
    with pytest.raises(ConfigError, match="line 2: outline: name: must not be empty"):
        read_feed_list(b'<opml><body>\n<outline xmlUrl="https://a.example/"/></body></opml>', opml)
