"""Plain text from feed markup: HTML to text, page boilerplate removal, sentence splitting.

The stdlib ``html.parser`` is enough here: feed descriptions are fragments, not whole
pages (full pages go through trafilatura in ``bot.fetch``), and we only need the text,
block boundaries and entities. It never raises on broken markup.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = [
    "contains_any",
    "fix_homoglyphs",
    "html_to_text",
    "remove_boilerplate",
    "split_sentences",
]

# Elements whose content is never text a reader sees.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "noscript", "template", "head"})
# Elements that start a new paragraph (blank line) or just a new line.
_PARAGRAPH_ELEMENTS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
        "dl", "section", "article", "header", "footer", "figure", "hr",
    }
)  # fmt: skip
_LINE_ELEMENTS = frozenset({"br", "div", "li", "tr", "dt", "dd", "figcaption", "aside"})

# Zero-width characters: a run of them separates words as a space does.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]+")
# Any character that tidy text cannot hold: whitespace but " " and "\n" (every character
# for which ``str.isspace`` is true, as ``str.split`` and ``\s`` read them; a test checks
# the list against Python's), and zero-width characters. One character class: searching a
# text for it is a fast scan, unlike a search for alternatives.
_UNTIDY_CHARACTER = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]"
)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


class _TextCollector(HTMLParser):
    """Collects text; a run of block boundaries becomes one line or paragraph break."""

    def __init__(self, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._keep_newlines = keep_newlines
        self._skip_depth = 0
        self._pending_break = ""

    def _break(self, tag: str) -> None:
        if tag in _PARAGRAPH_ELEMENTS:
            self._pending_break = "\n\n"
        elif tag in _LINE_ELEMENTS and not self._pending_break:
            self._pending_break = "\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)  # <br/>, <hr/>: never the start of a skipped element

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth = max(0, self._skip_depth - 1)
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._keep_newlines:
            data = data.replace("\n", " ")  # in HTML a newline is just a space
        if self._pending_break:
            if not data.strip():
                return  # indentation between blocks
            self.parts.append(self._pending_break)
            self._pending_break = ""
        self.parts.append(data)


def _tidy(text: str) -> str:
    """Collapse whitespace within lines (a run of zero-width characters counts as a space),
    strip lines, keep at most one blank line, strip the text."""
    text = text.strip()  # (markup's first block leaves a break in front of the text)
    if _is_tidy(text):
        return text  # text tidied before (the pipeline tidies once and reads it often)
    kept: list[str] = []
    blank = False
    for line in _ZERO_WIDTH.sub(" ", text).split("\n"):
        line = " ".join(line.split())
        if not line:
            blank = True
            continue
        if blank and kept:
            kept.append("")
        kept.append(line)
        blank = False
    return "\n".join(kept)


def _is_tidy(text: str) -> bool:
    """Whether ``_tidy`` would return ``text`` as it is."""
    return not (
        _UNTIDY_CHARACTER.search(text)
        or "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n\n" in text
        or text[:1] in (" ", "\n")
        or text[-1:] in (" ", "\n")
    )


# C0 controls but tab and newline, and DEL: PostgreSQL refuses NUL in text, Telegram the rest
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def html_to_text(markup: str) -> str:
    """Turn an HTML fragment from a feed into plain text.

    Tags are dropped (the contents of ``<script>`` and ``<style>`` entirely), entities
    decoded, block elements (``p``, ``br``, ``div``, ``li``, ``h1``–``h6`` …) become line
    breaks, whitespace within a line is collapsed and paragraphs are separated by exactly
    one blank line. Text without any tag keeps its line breaks (some feeds send plain
    text); in markup a newline is only a space.
    """
    markup = _CONTROL.sub("", markup.replace("\r\n", "\n").replace("\r", "\n"))
    keep_newlines = _TAG.search(markup) is None
    parts = _simple_parts(markup, keep_newlines)
    if parts is None:
        collector = _TextCollector(keep_newlines)
        collector.feed(markup)
        collector.close()
        parts = collector.parts
    return _tidy("".join(parts))


# Markup made only of text and plain tags (quoted or simple attribute values), as feed
# descriptions nearly always are, tokenises without ambiguity: ``_simple_parts`` reads it with
# one regex, giving what ``_TextCollector`` gives (tested on generated fragments), 5× faster.
# Only ASCII whitespace separates: html.parser ends a tag name at [\t\n\r\f /> ] alone, so
# "<p\xa0class=x>" is a tag it names "p\xa0class=x" (such markup takes its path).
_SP = r"[ \t\n\r\f]"
_ATTRIBUTE = rf"""[^\s"'<>/=]+(?:{_SP}*={_SP}*(?:"[^"]*"|'[^']*'|[^\s"'=<>`/]+(?={_SP}|>)))?"""
_SIMPLE_TAG = re.compile(
    rf"<(?:(?P<start>[a-zA-Z][a-zA-Z0-9]*)(?:{_SP}+{_ATTRIBUTE})*{_SP}*(?P<empty>/?)"
    rf"|/(?P<end>[a-zA-Z][a-zA-Z0-9]*){_SP}*)>"
)


# Elements whose content html.parser reads by rules of its own (raw text, or entities only):
# script and style, and in newer CPython patch releases title, textarea, xmp, iframe,
# noembed, noframes and plaintext too. Markup holding one takes html.parser's path.
_OWN_RULES = _SKIPPED_ELEMENTS | {
    "title", "textarea", "xmp", "iframe", "noembed", "noframes", "plaintext",
}  # fmt: skip


def _simple_parts(markup: str, keep_newlines: bool) -> list[str] | None:
    """``_TextCollector(keep_newlines).parts`` for markup of text and plain tags; ``None``
    for anything else (a stray "<", a comment, a ``<script>`` or other skipped element)."""
    collector = _TextCollector(keep_newlines)  # only its break and data rules are used
    position = 0
    for tag in _SIMPLE_TAG.finditer(markup):
        if tag.start() != position and not _simple_data(markup[position : tag.start()], collector):
            return None
        name = (tag["start"] or tag["end"]).lower()
        if name in _OWN_RULES:
            return None
        collector._break(name)
        position = tag.end()
    if position != len(markup) and not _simple_data(markup[position:], collector):
        return None
    return collector.parts


def _simple_data(data: str, collector: _TextCollector) -> bool:
    if "<" in data:
        return False  # not a plain tag: html.parser's rules for it are its own
    collector.handle_data(html.unescape(data))
    return True


def contains_any(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex whose ``search`` tells whether a text holds any of ``words`` as a substring
    (case as given): ``any(word in text for word in words)`` in one pass instead of one
    per word."""
    return re.compile("|".join(re.escape(word) for word in words))


# --- boilerplate -----------------------------------------------------------------------
#
# Rules work line by line on the casefolded, stripped line. Each tuple below is one kind
# of rule; add a language by adding its words, not code.

# Whole lines that are page furniture (en, ru, az).
_FURNITURE_LINES: tuple[str, ...] = (
    r"yandex[ .]?metri[ck]a( counter)?",
    r"google analytics",
    r"archive",
    r"архив",
    r"arxiv",
    r"prev( next)?",
    r"next",
    r"назад( вперед| вперёд)?",
    r"вперед|вперёд",
    r"(share|поделиться|paylaş)( (this|on|в)\b.*)?",
    r"tweet|print|печать|çap et",
    r"(comments?|комментарии|şərhlər)( \(?\d+\)?)?",
    r"(advertisement|реклама|reklam)",
    r"(read also|see also|read more|читайте также|смотрите также|həmçinin oxuyun|"
    r"bunu da oxuyun|oxu(yun)? həmçinin)( ?[:.].*)?",
    r"(follow us|подписывайтесь|bizi izləyin)\b.{0,80}",
    r"(all rights reserved|все права защищены|bütün hüquqlar qorunur)\b.{0,80}",
    r"©.{0,80}",
    r"(video|photo|фото|видео|foto|vİdeo|vi̇deo)",
)
# Bare link headings: the line after them is the linked headline (dropped when short and
# without a final period).
_LINK_HEADINGS = frozenset(
    {
        "read also",
        "see also",
        "читайте также",
        "смотрите также",
        "həmçinin oxuyun",
        "bunu da oxuyun",
    }
)
# Section headings after which a page holds only lists of other headlines: the rest of
# the text is dropped.
_TAIL_HEADINGS: tuple[str, ...] = (
    r"similar news",
    r"related news",
    r"related articles",
    r"other news",
    r"more news",
    r"latest news",
    r"похожие новости",
    r"другие новости",
    r"последние новости",
    r"новости по теме",
    r"oxşar xəbərlər",
    r"digər xəbərlər",
    r"son xəbərlər",
    r"mövzu ilə bağlı xəbərlər",
)
# Month calendar widgets: weekday headers and lines of day numbers.
_CALENDAR_LINES: tuple[str, ...] = (
    r"(su|mo|tu|we|th|fr|sa)( (su|mo|tu|we|th|fr|sa)){5,6}",
    r"(пн|вт|ср|чт|пт|сб|вс)( (пн|вт|ср|чт|пт|сб|вс)){5,6}",
    r"(b\.e|ç\.a|ç|c\.a|c|ş|b)\.?( (b\.e|ç\.a|ç|c\.a|c|ş|b)\.?){5,6}",
    r"([1-9]|[12]\d|3[01])( ([1-9]|[12]\d|3[01])){1,6}",
)
# Bylines, date stamps and lone outlet signatures.
_BYLINE_LINES: tuple[str, ...] = (
    r"(date )?\d{4}-\d{2}-\d{2}( \d{1,2}:\d{2}(:\d{2})?)?( by .{1,60})?",
    r"\d{1,2}[./]\d{1,2}[./]\d{2,4}( \d{1,2}:\d{2})?",
    r"\d{1,2}:\d{2}( \d{1,2}[./]\d{1,2}[./]\d{2,4})?",
    r"(автор|текст|фото|müəllif|author)\s*:\s*.{1,60}",
    r"(news\.az|azernews|azertac|apa|trend|report|turan|belta|sputnik|oxu\.az|"
    r"day\.az|vesti\.az|interfax|tass|ria novosti)( news agency)?",
    r"[\w-]+\.(az|by|ru|com|net|org|info|news)",
)
# Markers in front of a headline or lead ("VIDEO: …"); the rest of the line is kept.
_LEADING_MARKERS = re.compile(
    r"^(?:video|photo|photos|updated|exclusive|breaking|видео|фото|эксклюзив|"
    r"vi̇deo|vİdeo|foto|eksklüziv|son dəqiqə)\s*[:|–—-]\s*",
    re.IGNORECASE,
)


def _full_line(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# "By Rasana Gasimova": up to four capitalised words (checked in code, as ``re`` has no
# Unicode upper-case class), so "By contrast, exports grew" stays.
_BYLINE = re.compile(r"(?:by|автор|müəllif)\s*:?\s+((?:[^\W\d_][\w'’.-]*\s*){1,4})", re.I)

_FURNITURE = _full_line(_FURNITURE_LINES + _CALENDAR_LINES + _BYLINE_LINES)
_TAIL = _full_line(_TAIL_HEADINGS)
_HEADLINE_MAX = 200


def _is_furniture(line: str) -> bool:
    if _FURNITURE.fullmatch(line.casefold().rstrip(" :.")):
        return True
    byline = _BYLINE.fullmatch(line.rstrip(" ."))
    return byline is not None and all(word[0].isupper() for word in byline.group(1).split())


def _on_any_line(pattern: str, trailing: str, flags: int) -> re.Pattern[str]:
    """``pattern`` as a whole line (then ``trailing`` characters) of tidy text that has a
    newline in front: searching ``"\n" + text`` with it finds every line on which
    ``fullmatch`` of the line would succeed (and perhaps more). It begins with a newline,
    which the regex engine scans for quickly, so the rules are tried at line starts only
    instead of at every character."""
    return re.compile(rf"\n(?:{pattern}){trailing}$", flags | re.MULTILINE)


def _case_sensitive(pattern: str) -> str:
    """A pattern that IGNORECASE matches on casefolded text, for a case-sensitive search of
    that text with "ı" read as "i" (several times faster): casefolding leaves every letter
    in the one form IGNORECASE compares, but for the dotless "ı", which IGNORECASE equates
    with "i". Its groups do not capture (faster too; a prefilter reads no group)."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern).replace("ı", "i")


_ANY_FOLDED = _on_any_line(_case_sensitive(f"{_TAIL.pattern}|{_FURNITURE.pattern}"), "[ :.]*", 0)
_ANY_BYLINE = _on_any_line(_BYLINE.pattern, "[ .]*", re.IGNORECASE)
_ANY_MARKER = re.compile("\n" + _LEADING_MARKERS.pattern.removeprefix("^"), re.IGNORECASE)


def remove_boilerplate(text: str) -> str:
    """Remove the page furniture that scrapers and feeds leave around an article.

    Drops whole lines that are analytics counters, navigation ("Prev Next", "Archive"),
    share/print buttons, calendar widgets, bylines and date stamps, lone outlet
    signatures ("News.Az") and "Read also" links (with the headline on the next line);
    strips leading markers such as "VIDEO:"; cuts everything after a "Similar news"
    heading. Works for English, Russian and Azerbaijani; real paragraphs are kept. The
    result is tidy: whitespace collapsed within lines, lines stripped, at most one blank
    line between paragraphs.
    """
    text = _tidy(text)  # ("\r" is whitespace to it: "\r\n" ends a line as "\n" does)
    lined = f"\n{text}"
    folded = lined.casefold().replace("ı", "i")
    if not (_ANY_FOLDED.search(folded) or _ANY_BYLINE.search(lined) or _ANY_MARKER.search(lined)):
        return text  # most text: no line would be dropped or changed
    return _boilerplate_by_line(text)


def _boilerplate_by_line(text: str) -> str:
    """``remove_boilerplate`` line by line on tidy text (see ``_tidy``)."""
    kept: list[str] = []
    drop_headline = False
    for line in text.split("\n"):  # tidy: every line is stripped
        if not line:
            kept.append("")
            continue
        folded = line.casefold().rstrip(" :.")
        if _TAIL.fullmatch(folded):
            break
        if drop_headline:
            drop_headline = False
            if len(line) <= _HEADLINE_MAX and not line.endswith((".", "!", "?", "…")):
                continue
        if _is_furniture(line):
            # A bare "Read also" is followed by the linked headline: drop it too.
            drop_headline = folded in _LINK_HEADINGS
            continue
        line = _LEADING_MARKERS.sub("", line)
        if line:
            kept.append(line)
    return _tidy("\n".join(kept))


# --- sentences -------------------------------------------------------------------------

# Words that end with a period but rarely end a sentence (casefolded, without the final
# period). Dotted initialisms ("U.S.", "т.е.") and single-letter initials are handled by
# _INITIALISM below.
_ABBREVIATIONS = frozenset(
    {
        # en
        "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "maj", "capt", "sgt", "adm",
        "gov", "sen", "rep", "amb", "st", "mt", "jr", "sr", "inc", "ltd", "co", "corp", "no",
        "nos", "vs", "approx", "est", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "fig",
        # ru
        "г", "гг", "ул", "пр", "им", "млн", "млрд", "трлн", "тыс", "руб", "долл", "см", "стр",
        "ст", "акад", "проф", "ген", "полк", "тов", "гр", "обл", "р-н", "кв", "напр",
        # az
        "mln", "mlrd", "min", "akad", "kv", "küç", "pr", "səh",
    }
)  # fmt: skip
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]|[^\W\d_]")
# A run of terminal punctuation, then closing quotes/brackets, then whitespace and the
# first character of what follows.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'»”’)\]]*)\s+(?=(\S))")
_SENTENCE_STARTERS = "\"'«“„([—–-"
_WORD_BEFORE = re.compile(r"([^\s\"'«“„(\[]+)$")


def _ends_sentence(before: str, punctuation: str, following: str) -> bool:
    if not (following.isupper() or following.isdigit() or following in _SENTENCE_STARTERS):
        return False
    if punctuation != ".":
        return True
    match = _WORD_BEFORE.search(before)
    if match is None:
        return True
    word = match.group(1)
    return word.casefold() not in _ABBREVIATIONS and _INITIALISM.fullmatch(word) is None


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences (English, Russian, Azerbaijani).

    Every line break ends a sentence (feed text keeps one paragraph or heading per line).
    Within a line, ``.``, ``!``, ``?`` or ``…`` (with any closing quotes) end a sentence when
    an upper-case letter, a digit, an opening quote or a dash follows. A period does not
    end one after a known abbreviation ("Mr.", "Gen.", "г.", "млн."), an initial ("I.") or a
    dotted initialism ("U.S."); decimals ("$204.5 million") have no space after the point.
    """
    sentences: list[str] = []
    for line in _tidy(text).split("\n"):
        start = 0
        for match in _BOUNDARY.finditer(line):
            if _ends_sentence(line[start : match.start()], match.group(1), match.group(3)):
                sentences.append(line[start : match.end(2)].strip())
                start = match.end()
        if line[start:].strip():
            sentences.append(line[start:].strip())
    return [sentence for sentence in sentences if sentence]


# --- homoglyphs ------------------------------------------------------------------------

# Letters that look alike in Latin and Cyrillic. A word mixing the two scripts is written
# in the script of most of its letters; its odd letters are swapped for their twins
# ("Вelarus" with a Cyrillic В, "Азербайджан" with Latin a/e/o).
_LATIN_TWINS = "AaBCcEeHKMOoPpTXxYy"
_CYRILLIC_TWINS = "АаВСсЕеНКМОоРрТХхУу"
_TO_LATIN = str.maketrans(_CYRILLIC_TWINS + "іІ", _LATIN_TWINS + "iI")
_TO_CYRILLIC = str.maketrans(_LATIN_TWINS + "iI", _CYRILLIC_TWINS + "іІ")
# A word mixing the scripts has a Latin letter next to a Cyrillic one somewhere.
_SCRIPT_SEAM = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")
_WORD_LETTERS = re.compile(r"[^\W\d_]+")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _one_script(word: str) -> str:
    cyrillic = len(_CYRILLIC_LETTER.findall(word))
    if cyrillic * 2 > len(word):
        return word.translate(_TO_CYRILLIC)
    return word.translate(_TO_LATIN)


def fix_homoglyphs(text: str) -> str:
    """Rewrite words that mix Latin and Cyrillic look-alike letters in one script.

    The majority script of the word wins; only letters with a twin in the other script
    change, so a genuinely mixed word ("iPhone-ы") keeps its other letters.
    """
    if not (_CYRILLIC_LETTER.search(text) and _LATIN_LETTER.search(text)):
        return text  # one script: nothing to mix up
    parts: list[str] = []
    done = 0
    for seam in _SCRIPT_SEAM.finditer(text):
        if seam.start() < done:
            continue  # a second seam in a word already rewritten
        start = seam.start()
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        word = _WORD_LETTERS.match(text, start)
        if word is None:  # pragma: no cover - a seam is two letters
            continue
        parts.append(text[done:start])
        parts.append(_one_script(word.group()))
        done = word.end()
    parts.append(text[done:])
    return "".join(parts)
