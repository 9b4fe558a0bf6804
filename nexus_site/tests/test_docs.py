"""The README and docs/ are read in a clone of this repository: every file they link to is in
it, and none sends the reader to a folder outside it (such as ../shared)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def local_links(page: Path) -> list[str]:
    links = LINK.findall(page.read_text(encoding="utf-8"))
    return [link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_of_the_page_is_a_file_of_the_repository(page):
    for link in local_links(page):
        target = (page.parent / link.split("#")[0]).resolve()

        assert target.is_relative_to(ROOT), f"{link} leaves the repository"
        assert target.exists(), f"{link} does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_the_page_does_not_point_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")

    assert "../shared" not in text
    assert "shared/API.md" not in text
    assert "shared/DESIGN.md" not in text
