"""One lemon24/reader update, run by the benchmark as its own measured process.

    python bench/_reader_update.py DB_PATH --workers N [--add FEED_LIST]

With ``--add``, every URL in FEED_LIST (one per line) is added first, as a new user would;
then ``update_feeds(workers=N, scheduled=False)`` runs once: since reader 3.21 a plain
``update_feeds()`` skips feeds not yet due, and the second update follows the first at once.
Otherwise reader's defaults are kept: its requests session sends ``If-None-Match`` and
``If-Modified-Since`` from the stored caching info (a 304 becomes ``NotModified`` and skips
parsing), and it has no guard against loopback addresses, so the local server needs no
setting. Nothing is printed: the benchmark counts entries afterwards from the database,
outside the measured time.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reader import make_reader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--add", type=Path, help="file of feed URLs to add first")
    args = parser.parse_args()
    reader = make_reader(str(args.db))
    try:
        if args.add:
            for url in args.add.read_text().split():
                reader.add_feed(url, exist_ok=True)
        reader.update_feeds(workers=args.workers, scheduled=False)
    finally:
        reader.close()


if __name__ == "__main__":
    main()
