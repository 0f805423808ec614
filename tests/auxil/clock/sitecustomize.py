"""Started by Python in a test's ``azby run`` subprocess when this folder is on PYTHONPATH:
with ``AZBY_TEST_CLOCK`` set (an ISO datetime with its offset), the wall clock starts there and
runs on at the normal pace (time-machine, ``tick=True``). Monotonic clocks, which asyncio and
the rate limits use, are left alone. Test-only: nothing in azby knows of it."""

from __future__ import annotations

import os

_start = os.environ.get("AZBY_TEST_CLOCK")
if _start:
    from datetime import datetime

    import time_machine

    time_machine.travel(datetime.fromisoformat(_start), tick=True).start()
