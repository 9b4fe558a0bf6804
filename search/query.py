"""Turn what a person typed into a safe full-text query: pure functions, no database."""

import html
import re

MAX_WORDS = 8
MAX_WORD_LENGTH = 64
MAX_QUERY_LENGTH = 200
WORD = re.compile(r"\w+", re.UNICODE)
MARK_START, MARK_END = "\x02", "\x03"  # never in the index (search.texts.CONTROL)


def words(text: str) -> list[str]:
    """Return the words of ``text`` (letters and digits only), lower-cased, at most
    ``MAX_WORDS``; punctuation and operators of any query syntax are dropped."""
    found = WORD.findall((text or "")[:MAX_QUERY_LENGTH].lower())
    return [word[:MAX_WORD_LENGTH] for word in found if word.strip("_")][:MAX_WORDS]


def tsquery(found: list[str]) -> str:
    """Return a PostgreSQL ``to_tsquery`` text matching every word as a whole word (stemmed by
    the configuration): ``'alpha' & 'bet'``. Words hold only letters, digits and ``_``, and are
    quoted anyway."""
    return " & ".join(f"'{word}'" for word in found)


# Search as you type: every prefix of every word of a title is indexed as its own term, marked
# with a character no parser keeps in a word (search.index.TitlePrefixes), so "the last word
# begins a word of the title" is one exact term of the index instead of a scan of every
# word with that beginning (a three-letter beginning can be thousands of words).
PREFIX_MARK = "^"
PREFIX_MAX_LENGTH = 32


def prefix_term(word: str) -> str:
    """Return the ``tsquery`` text of the term "a word of the title begins with ``word``"
    (its first ``PREFIX_MAX_LENGTH`` letters): ``'^bet'``."""
    return f"'{PREFIX_MARK}{word[:PREFIX_MAX_LENGTH]}'"


def fts5_match(found: list[str], *, titles: bool = False) -> str:
    """Return an SQLite FTS5 ``MATCH`` expression: every word as a quoted string: ``"alpha"
    "bet"``; with ``titles`` (search as you type), in the title column only, the last word as a
    prefix: ``{title} : ("alpha" "bet"*)``."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in found]
    if quoted and titles:
        quoted[-1] += "*"
    words = " ".join(quoted)
    return f"{{title}} : ({words})" if titles and words else words


def snippet_html(marked: str) -> str:
    """Return a snippet whose highlights are ``MARK_START``/``MARK_END`` as HTML: everything
    escaped, then the marks turned into ``<mark>`` elements (balanced: an unclosed mark is
    closed at the end)."""
    escaped = html.escape(marked or "", quote=False)
    out, open_mark = [], False
    for char in escaped:
        if char == MARK_START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif char == MARK_END and open_mark:
            out.append("</mark>")
            open_mark = False
        elif char not in (MARK_START, MARK_END):
            out.append(char)
    if open_mark:
        out.append("</mark>")
    return "".join(out)
