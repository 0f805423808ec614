"""Language detection with py3langid, restricted to the languages our feeds carry.

The model is package data of py3langid, loaded lazily on the first call and kept for the
process (about 0.8 s, read-only afterwards): no file of ours is read, and importing this
module stays cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol, cast

__all__ = ["LANGUAGES", "MIN_CONFIDENCE", "UNDETERMINED", "detect_language", "warm_up"]

# Languages met in Azerbaijan–Belarus news, plus neighbours the model could otherwise
# confuse them with. Restricting the model keeps Azerbaijani from being read as Turkish
# and Belarusian from being read as anything exotic.
LANGUAGES: tuple[str, ...] = (
    "az", "be", "de", "en", "fa", "fr", "hy", "ka", "kk", "lt", "lv", "pl", "ru", "tk", "tr",
    "uk", "uz",
)  # fmt: skip
# Below this probability the feed's configured language (the hint), if any, wins.
MIN_CONFIDENCE = 0.5
UNDETERMINED = "und"

# "ə" is an Azerbaijani letter that Turkish, Turkmen and Uzbek (Latin) do not use.
_SCHWA = re.compile(r"[əƏ]")
_TURKIC_LOOKALIKES = frozenset({"tr", "tk", "uz"})
_LETTER = re.compile(r"[^\W\d_]")


class _Identifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


_MODEL: list[_Identifier] = []
# the poll cycle classifies in several threads: without the lock each would load its own copy
# of the model (~120 MB at load time each)
_MODEL_LOCK = threading.Lock()


def warm_up() -> None:
    """Load the model now (it loads on first use otherwise)."""
    _identifier()


def _identifier() -> _Identifier:
    if not _MODEL:
        with _MODEL_LOCK:
            if not _MODEL:
                _MODEL.append(_load_identifier())
    return _MODEL[0]


def _load_identifier() -> _Identifier:
    from py3langid.langid import LanguageIdentifier

    cache = _cache_dir()
    try:
        arguments, tk_row = _mapped(cache)
        return cast(_Identifier, LanguageIdentifier(*arguments, norm_probs=True, tk_row=tk_row))
    except (OSError, ValueError, KeyError):
        pass  # no cache yet (or unreadable): build it from the package's model
    identifier = _package_identifier()
    with contextlib.suppress(OSError):
        _write_cache(cache, identifier)
    return identifier


def _package_identifier() -> _Identifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    # set_languages keeps the full matrix (all 142 languages) for a later reset that azby
    # never makes: keep only the restricted one (~25 MB less)
    identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
    return cast(_Identifier, identifier)


# --- the restricted model, cached uncompressed and memory-mapped ----------------------------
#
# py3langid's model is an LZMA-compressed archive: every process that loads it decompresses
# and converts ~40 MB (0.5 s, a peak of ~110 MB) and keeps its own copy. Restricted to our
# languages and written once as plain arrays, it loads in milliseconds by mapping the files:
# the pages are shared by every azby process (the poll's workers too) and only the parts the
# text walks are ever read in. The identifier built from them is the same (tested).


def _cache_dir() -> Path:
    from importlib.metadata import version

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    languages = hashlib.sha256(",".join(LANGUAGES).encode()).hexdigest()[:12]
    return Path(base) / "azby" / f"py3langid-{version('py3langid')}-{languages}"


_ARRAYS = ("ptc", "pc", "nextmove", "row", "output")


def _write_cache(directory: Path, identifier: Any) -> None:
    import numpy as np

    if directory.exists():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=directory.parent))
    try:
        values = {
            "ptc": np.ascontiguousarray(identifier.nb_ptc),
            "pc": np.asarray(identifier.nb_pc),
            # py3langid keeps these two as stdlib arrays
            "nextmove": np.array(identifier.tk_nextmove, dtype=identifier.tk_nextmove.typecode),
            "row": np.array(identifier.tk_row, dtype=identifier.tk_row.typecode),
            "output": np.asarray(identifier.tk_output, dtype=np.int32),
        }
        for name, array in values.items():
            np.save(building / f"{name}.npy", array, allow_pickle=False)
        (building / "classes.json").write_text(json.dumps(list(identifier.nb_classes)))
        building.rename(directory)  # atomic: a reader sees all of it or nothing
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _mapped(directory: Path) -> tuple[tuple[Any, ...], list[int]]:
    """LanguageIdentifier's arguments from the cache: the big tables as memory-mapped,
    read-only views (indexed per byte by py3langid's DFA walk, as fast as its arrays)."""
    import numpy as np

    loaded = {
        name: np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        for name in _ARRAYS
    }
    classes = json.loads((directory / "classes.json").read_text())
    if loaded["ptc"].shape[1] != len(classes) or len(loaded["output"]) != len(loaded["row"]):
        raise ValueError(f"{directory}: inconsistent language model cache")
    return (
        loaded["ptc"].view(np.ndarray),  # mapped still, without np.memmap's slow indexing
        np.array(loaded["pc"]),
        classes,
        memoryview(loaded["nextmove"]),
        memoryview(loaded["output"]),
    ), loaded["row"].tolist()


def _normalise_hint(hint: str | None) -> str | None:
    """Reduce a language tag to its primary subtag: "ru-RU" → "ru"; blank → None."""
    if hint is None or not hint.strip():
        return None
    return re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]


def detect_language(text: str, hint: str | None = None) -> str:
    """Return the ISO 639-1 code of the language of ``text``.

    Text without letters gives ``hint`` (e.g. the feed's configured language) or "und".
    When the model is unsure (probability below ``MIN_CONFIDENCE``) the hint wins. Text the
    model reads as Turkish, Turkmen or Uzbek but that contains "ə" is Azerbaijani.
    """
    fallback = _normalise_hint(hint)
    if not _LETTER.search(text):
        return fallback or UNDETERMINED
    language, confidence = _identifier().classify(text)
    if language in _TURKIC_LOOKALIKES and _SCHWA.search(text):
        return "az"
    if confidence < MIN_CONFIDENCE and fallback:
        return fallback
    return language
