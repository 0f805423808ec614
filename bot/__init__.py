"""azby: a Telegram bot that follows Azerbaijan–Belarus relations."""

__version__ = "0.1.0"
