"""The tests' fake Bot API server, run as its own process for bench/delivery.py.

Usage: python bench/_fake_bot_api.py TOKEN BLOCKED_CHATS_CSV FAIL_429_FRACTION
Prints its base URL on the first line of stdout, then serves until killed. A bench-only
method ``getStats`` returns ``{"delivered": {chat_id: successful sendMessage count}, "requests":
sendMessage requests answered, errors included}``, and about the sendMessage requests from
number ``since`` on (optional, 0 by default) ``"busiest_second"``: the most that arrived within
any one second, ``"first_at"``: when the first one arrived (``time.monotonic()``, the same
clock as the client's on this machine), ``"last_429"``: the number of the last one answered
429 (counting from ``since``, -1 if none), ``"until_last_429"``: seconds from the first one's
arrival to that one's, and ``"retried_after"``: seconds from that one to the next request for
its chat.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.auxil.fake_telegram import ApiError, FakeTelegram, busiest_second


async def main() -> None:
    token, blocked_csv, fail_fraction = sys.argv[1], sys.argv[2], float(sys.argv[3])
    fake = FakeTelegram(token=token)
    await fake.start()
    for chat_id in filter(None, blocked_csv.split(",")):
        fake.set_blocked(int(chat_id))
    delivered: Counter[int] = Counter()
    rng = random.Random(7)
    builtin = fake._handlers["sendMessage"]

    async def send_message(params: dict[str, Any]) -> Any:
        if rng.random() < fail_fraction:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        result = builtin(params)
        if asyncio.iscoroutine(result):
            result = await result
        delivered[int(params["chat_id"])] += 1
        return result

    fake.register("sendMessage", send_message)

    def stats(params: dict[str, Any]) -> dict[str, Any]:
        calls = fake.calls_to("sendMessage")
        measured = calls[int(params.get("since", 0)) :]
        last_429 = max((n for n, call in enumerate(measured) if call.status == 429), default=-1)
        until = retried = 0.0
        if last_429 >= 0:
            refused = measured[last_429]
            until = refused.at - measured[0].at
            chat = refused.params["chat_id"]
            again = (c for c in measured[last_429 + 1 :] if c.params["chat_id"] == chat)
            retried = next((c.at - refused.at for c in again), 0.0)
        return {
            "delivered": {str(k): v for k, v in delivered.items()},
            "requests": len(calls),
            "busiest_second": busiest_second(measured),
            "first_at": measured[0].at if measured else 0.0,
            "last_429": last_429,
            "until_last_429": until,
            "retried_after": retried,
        }

    fake.register("getStats", stats)
    print(fake.base_url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
