"""Pure pipeline stages: plain data in, plain data out, no I/O.

``text`` (HTML to text, boilerplate, sentences) → ``relevance`` (both countries named?) →
``cluster`` (same story) → ``topics`` (tagging) → ``summary``; ``language`` detects the
language and ``classify`` runs them all for one article. Nothing here imports telegram,
httpx, sqlalchemy or aiohttp, and only ``parse`` uses feedparser (on bytes, never the
network); ``tests/unit/test_pipeline_imports.py`` enforces it.
"""
