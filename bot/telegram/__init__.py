"""Telegram wiring: the python-telegram-bot Application, handlers and rendering."""
