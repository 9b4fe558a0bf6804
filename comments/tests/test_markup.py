"""comments.markup.render_markup: the Markdown-light subset, and no way to get HTML through."""

from html.parser import HTMLParser

import pytest

from comments.markup import Mention, mentioned_emails, render_markup

TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "li", "a"}
VOID = {"br"}
SCHEMES = ("http://", "https://", "mailto:")
FIXED = {"rel": "nofollow noopener", "class": "mention"}


class OnlyOurTags(HTMLParser):
    """Collect every tag or attribute the renderer does not write itself, and crossed tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list = []
        self.open: list = []

    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.problems.append(tag)
        for name, value in attrs:
            if tag != "a" or name not in {"href", "rel", "class"}:
                self.problems.append((tag, name))
                continue
            allowed = value.startswith(SCHEMES) if name == "href" else value == FIXED[name]
            if not allowed:
                self.problems.append(value)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"/{tag}")


BOB = {"bob@example.com": Mention(name="Bob Stone", url="mailto:bob@example.com")}


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\n\ntwo", "<p>one</p><p>two</p>"),
        ("a **bold** word", "<p>a <strong>bold</strong> word</p>"),
        ("an *italic* word", "<p>an <em>italic</em> word</p>"),
        ("**bold *and italic***", "<p><strong>bold *and italic</strong>*</p>"),
        ("**bold *and italic* too**", "<p><strong>bold <em>and italic</em> too</strong></p>"),
        ("run `make **test**`", "<p>run <code>make **test**</code></p>"),
        ("```\nx = 1\n**y**\n```", "<pre><code>x = 1\n**y**</code></pre>"),
        (
            "- one\n- **two**\n* three",
            "<ul><li>one</li><li><strong>two</strong></li><li>three</li></ul>",
        ),
        ("intro\n- item", "<p>intro</p><ul><li>item</li></ul>"),
        ("2 * 3 * 4", "<p>2 * 3 * 4</p>"),
        ("snake_case *", "<p>snake_case *</p>"),
    ],
)
def test_formats_the_markdown_light_subset(body, html):
    assert render_markup(body) == html


def test_links_keep_only_safe_schemes_and_never_follow():
    html = render_markup("[docs](https://example.com/a?b=1&c=2) and mailto [me](mailto:me@x.org)")
    assert html == (
        '<p><a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener">docs</a> and '
        'mailto <a href="mailto:me@x.org" rel="nofollow noopener">me</a></p>'
    )


def test_bare_addresses_become_links_without_trailing_punctuation():
    assert render_markup("See http://example.com/x.") == (
        '<p>See <a href="http://example.com/x" rel="nofollow noopener">'
        "http://example.com/x</a>.</p>"
    )


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert`1`)",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        '[x](https://e.com/"onmouseover="alert(1))',
        'https://e.com/"><script>alert(1)</script>',
        "**<b>bold</b>**",
        "`</code><script>alert(1)</script>`",
        "```\n</code></pre><script>alert(1)</script>\n```",
        '@bob@example.com"><script>alert(1)</script>',
        "[**x**](https://e.com/'onclick='alert(1))",
        "*<i>*</i>*",
        "\x00" + "0\x00<script>",
    ],
)
def test_nothing_the_author_writes_becomes_a_tag_or_attribute(body):
    html = render_markup(body, mentions=BOB)
    checker = OnlyOurTags()
    checker.feed(html)
    checker.close()
    assert checker.problems == [], html


def test_a_dangerous_link_stays_text():
    assert render_markup("[click](javascript:alert(1))") == "<p>[click](javascript:alert(1))</p>"


@pytest.mark.parametrize(
    "body", ["*a **b* c**", "***x***", "**a `b** c`", "*[x](https://e.com/*)*", "**a\nb**"]
)
def test_markers_never_leave_tags_crossed_or_open(body):
    checker = OnlyOurTags()
    checker.feed(render_markup(body))
    checker.close()
    assert checker.problems == []
    assert checker.open == []


def test_mentions_of_known_people_link_and_others_stay_text():
    html = render_markup("hi @bob@example.com and @eve@example.com", mentions=BOB)
    assert html == (
        '<p>hi <a href="mailto:bob@example.com" class="mention" rel="nofollow noopener">'
        "@Bob Stone</a> and @eve@example.com</p>"
    )


def test_a_mentioned_name_is_escaped():
    people = {"x@y.org": Mention(name="<b>X</b>", url="mailto:x@y.org")}
    assert "&lt;b&gt;X&lt;/b&gt;" in render_markup("@x@y.org", mentions=people)


def test_mentioned_emails_are_found_once_in_lower_case():
    body = "@Bob@Example.com, @bob@example.com and mail me@x.org or @eve@y.org"
    assert mentioned_emails(body) == ["bob@example.com", "eve@y.org"]
