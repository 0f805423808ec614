"""Script-independent word keys: Лукашенко, Lukashenko and Lukaşenko give one key.

A word is written in a rough common Latin (Russian Cyrillic transliterated, Azerbaijani
letters spelled out as in English: ş → sh, c → j, x → h, q → g), sounds that the
languages spell differently are merged (kh/h/g, zh/j/dzh, sh/s, ch/c, w/v, ck/k), and the key is the
word's consonant skeleton: its first letter, then its consonants without repeats, cut to
``KEY_LENGTH``. Vowels differ most across transliterations (Aliyev/Алиев/Əliyev) and
case endings are mostly vowels (the few consonant ones of Russian and Azerbaijani are cut
first), so dropping them joins the forms of one name:

    Лукашенко, Lukashenko, Lukaşenko, Lukashenka → "lksn"
    Минск, Minsk, Минске, Minskdə → "mnsk"
    Алиев, Aliyev, Əliyev, Алиева → "alv"
    Гянджа, Ganja, Gəncə → "gnj";  Баку, Baku, Bakı, Bakıda → "bk"

A crude key, good enough to notice that two articles in different languages share their
names and loanwords (traktor/трактор/tractor); not a transliteration for display.
"""

from __future__ import annotations

import functools
import re

__all__ = ["KEY_LENGTH", "word_key"]

KEY_LENGTH = 4

_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "і": "i", "ў": "u", "ї": "yi", "є": "ye", "ґ": "g", "ә": "a", "ғ": "g",
        "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    }
)  # fmt: skip
# Azerbaijani (and Turkish) Latin letters; "c", "x", "q" read so only in Azerbaijani text.
_AZERBAIJANI_LETTERS = str.maketrans(
    {"ə": "a", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "g", "ö": "o", "ü": "u", "\u0307": ""}
)
_AZERBAIJANI_LATIN = str.maketrans({"c": "j", "x": "h", "q": "g"})
# Case endings that are not just vowels, cut from longer words before keying.
_ENDINGS = {
    "az": re.compile(r"(?<=\w{3})(?:d[aə]n?|d[aə]kı|n[ıiuü]n|l[aəıiuü]|y[aə])$"),
    "ru": re.compile(r"(?<=\w{3})(?:ами|ями|[оеаяыи]м|[аяыи]х)$"),
}
_ENGLISH = str.maketrans({"c": "k", "x": "ks", "q": "k", "w": "v"})
# Russian writes a foreign "h" as "г" (Гасанов, Hasanov): "h" and "g" are one sound here.
_MERGES = (
    ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "g"), ("ck", "k"), ("ph", "f"), ("sh", "s"),
    ("ch", "c"), ("h", "g"),
)  # fmt: skip
_VOWELS = re.compile(r"[aeiouy]+")
_REPEATS = re.compile(r"(.)\1+")
_NOT_LETTER = re.compile(r"[^a-z]")


@functools.lru_cache(maxsize=65536)
def word_key(word: str, language: str = "en") -> str:
    """Return the consonant-skeleton key of one word (see the module docstring).

    ``language`` decides how ambiguous Latin letters read: in "az" text "c" is "j" and "x"
    is "h"; otherwise "c" is "k". Cyrillic reads the same in any language. Digits and
    other characters are dropped; a word without letters gives "".
    """
    folded = word.casefold()
    ending = _ENDINGS.get(language)
    if ending is not None and len(folded) > 5:
        folded = ending.sub("", folded)
    if language == "az":
        folded = folded.translate(_AZERBAIJANI_LATIN)
    folded = folded.translate(_CYRILLIC).translate(_AZERBAIJANI_LETTERS)
    folded = _NOT_LETTER.sub("", folded.translate(_ENGLISH))
    if not folded:
        return ""
    for sound, merged in _MERGES:
        folded = folded.replace(sound, merged)
    head, tail = folded[0], _VOWELS.sub("", folded[1:])
    return _REPEATS.sub(r"\1", head + tail)[:KEY_LENGTH]
