"""The real ``azby run`` process for end-to-end tests, its log lines collected as they come."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["AZBY", "Bot"]

AZBY = str(Path(sys.executable).with_name("azby"))


class Bot:
    """A running ``azby run`` subprocess whose log lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for_log(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    log = "\n".join(self.lines[-30:])
                    raise AssertionError(f"no log line with {text!r}; last lines:\n{log}")
                self._changed.wait(min(left, 0.2))

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        took = time.monotonic() - started
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code, took
