"""Telegram wiring: the python-telegram-bot Application, handlers and rendering."""

import os

# python-telegram-bot 22 warns unless durations are timedeltas; azby never wants the old floats
os.environ.setdefault("PTB_TIMEDELTA", "1")
