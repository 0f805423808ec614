"""Language detection with py3langid, restricted to the languages our feeds carry.

The model is package data of py3langid, loaded lazily on the first call and kept for the
process (about 0.8 s, read-only afterwards): no file of ours is read, and importing this
module stays cheap.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol, cast

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
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    # set_languages keeps the full matrix (all 142 languages) for a later reset that azby
    # never makes: keep only the restricted one (~25 MB less)
    identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
    return cast(_Identifier, identifier)


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
