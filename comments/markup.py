"""Markdown-light for comment bodies, rendered safely: a pure function of the text.

What it knows: paragraphs (blank lines), line breaks, ``**bold**``, ``*italic*``,
```` `code` ````, fenced code blocks (```` ``` ```` lines), links (``[text](url)`` and bare
``http(s)://`` addresses; http, https and mailto only, ``rel="nofollow noopener"``), bullet
lists (lines starting ``- `` or ``* ``) and ``@person@example.com`` mentions, which become
links for the people the caller names and stay plain text otherwise.

No raw HTML ever: every piece of the author's text is escaped before it is wrapped in the few
tags written here. Each formatted piece is built whole (escaped content inside its own tags)
and put aside behind a placeholder, so markers can never produce tags that cross or stay open.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

MENTION_RE = re.compile(r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
SAFE_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "nofollow noopener"

_HOLE = "\x00"
_HOLE_RE = re.compile(r"\x00(\d+)\x00")
_INLINE_RE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^()\s]+)\)"
    r"|(?P<bare>https?://[^\s<>\"'`]+)"
    r"|" + MENTION_RE.pattern
)
_BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC_RE = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*(?![*\w])")
_BULLET_RE = re.compile(r"^\s*[-*]\s+(.*)$")
_FENCE_RE = re.compile(r"^\s*```")
_TRAILING_PUNCTUATION = ".,;:!?)"


@dataclass(frozen=True)
class Mention:
    """A person a body may mention: shown as ``@name``, linked to ``url``."""

    name: str
    url: str


def mentioned_emails(body: str) -> list[str]:
    """Return the e-mail addresses written ``@address`` in ``body``, lower case, in order."""
    return list(dict.fromkeys(email.lower() for email in MENTION_RE.findall(body or "")))


def safe_url(url: str) -> str | None:
    """Return ``url`` when its scheme is one a link may use, else None."""
    if url.lower().startswith(SAFE_SCHEMES) and len(url) > len("mailto:"):
        return url
    return None


def link(url: str, label_html: str, *, css_class: str = "") -> str:
    attributes = f' class="{css_class}"' if css_class else ""
    return f'<a href="{html.escape(url, quote=True)}"{attributes} rel="{LINK_REL}">{label_html}</a>'


class _Inline:
    """One block's inline formatting; the pieces it puts aside live in ``self.pieces``."""

    def __init__(self, mentions: Mapping[str, Mention]):
        self.mentions = mentions
        self.pieces: list[str] = []

    def hole(self, piece: str) -> str:
        self.pieces.append(piece)
        return f"{_HOLE}{len(self.pieces) - 1}{_HOLE}"

    def render(self, text: str) -> str:
        marked = _INLINE_RE.sub(self.token, text)
        return self.fill(self.emphasis(html.escape(marked, quote=True)))

    def token(self, match: re.Match) -> str:
        if match["code"] is not None:
            return self.hole(f"<code>{html.escape(match['code'], quote=True)}</code>")
        if match["url"] is not None:
            url = safe_url(match["url"])
            if url is None:  # javascript: and friends stay text, unlinked
                return self.hole(html.escape(match[0], quote=True))
            label = self.emphasis(html.escape(match["label"], quote=True))
            return self.hole(link(url, label))
        if match["bare"] is not None:
            url = match["bare"]
            trailing = ""
            while url and url[-1] in _TRAILING_PUNCTUATION:
                url, trailing = url[:-1], url[-1] + trailing
            return self.hole(link(url, html.escape(url, quote=True))) + trailing
        email = match[match.lastindex].lower()
        person = self.mentions.get(email)
        if person is None:
            return self.hole(html.escape(match[0], quote=True))
        name = html.escape(f"@{person.name or email}", quote=True)
        return self.hole(link(person.url, name, css_class="mention"))

    def emphasis(self, escaped: str) -> str:
        def bold(match: re.Match) -> str:
            return self.hole(f"<strong>{self.italic(match[1])}</strong>")

        return self.italic(_BOLD_RE.sub(bold, escaped))

    def italic(self, escaped: str) -> str:
        return _ITALIC_RE.sub(lambda match: self.hole(f"<em>{match[1]}</em>"), escaped)

    def fill(self, text: str) -> str:
        while _HOLE in text:
            text = _HOLE_RE.sub(lambda match: self.pieces[int(match[1])], text)
        return text


def render_markup(body: str, *, mentions: Mapping[str, Mention] | None = None) -> SafeString:
    """Return ``body`` as safe HTML (see the module docstring for what is formatted).

    ``mentions``: the people a mention may link to, by lower-case e-mail address.
    """
    mentions = mentions or {}
    lines = (body or "").replace(_HOLE, "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    bullets: list[str] = []

    def inline(text: str) -> str:
        return _Inline(mentions).render(text)

    def close() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if bullets:
            items = "".join(f"<li>{inline(item)}</li>" for item in bullets)
            blocks.append(f"<ul>{items}</ul>")
            bullets.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if _FENCE_RE.match(line):
            close()
            code = []
            while index < len(lines) and not _FENCE_RE.match(lines[index]):
                code.append(lines[index])
                index += 1
            index += 1  # the closing fence (or the end)
            blocks.append(f"<pre><code>{html.escape(chr(10).join(code), quote=True)}</code></pre>")
        elif not line.strip():
            close()
        elif bullet := _BULLET_RE.match(line):
            if paragraph:
                close()
            bullets.append(bullet[1])
        else:
            if bullets:
                close()
            paragraph.append(line.strip())
    close()
    return mark_safe("".join(blocks))  # noqa: S308 - every piece of text above is escaped
