import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions.enums import RelationType
from relations import services
from relations.lab.models import Page, Space, Thread
from relations.nodes import node_of

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-graph.png"


def relate(source, relation_type, target):
    services.relationship_record(source=node_of(source), target=node_of(target), type=relation_type)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_explorer_draws_a_neighbourhood_highlights_a_path_and_explains_access(live_server, page):
    user = UserFactory(first_name="Iris")
    apollo = Space.objects.create(name="Apollo")
    inner = Space.objects.create(name="Inner")
    plan = Page.objects.create(name="Launch plan", space=apollo)
    draft = Page.objects.create(name="Draft", space=apollo)
    notes = Page.objects.create(name="Notes", space=inner)
    relate(user, RelationType.MEMBER, apollo)
    relate(apollo, RelationType.PARENT, inner)
    relate(plan, RelationType.LINKED, draft)

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/graph/?node={quote(str(node_of(apollo)))}")
    for neighbour in (user, inner, plan, draft):
        assert page.locator(f'svg [data-node="{node_of(neighbour)}"]').is_visible()
    assert page.locator("svg [data-edge-type=member]").count() == 1
    assert page.locator("svg [data-edge-type=linked]").count() == 1
    assert page.locator("svg .on-path").count() == 0

    page.locator("#path-form #id_path_from").fill(str(node_of(user)))
    page.locator("#path-form #id_path_to").fill(str(node_of(notes)))
    page.locator("#path-form button[type=submit]").click()
    page.wait_for_selector("svg .graph-node.on-path")
    page.screenshot(path=SCREENSHOT, full_page=True)

    on_path = page.locator("svg .graph-node.on-path")
    assert sorted(on_path.evaluate_all("nodes => nodes.map(n => n.dataset.node)")) == sorted(
        str(node_of(obj)) for obj in (user, apollo, inner, notes)
    )
    assert page.locator("svg line.on-path").count() == 3
    stroke = page.locator("svg line.on-path").first.evaluate("e => getComputedStyle(e).strokeWidth")
    assert stroke == "4px"
    assert page.locator("#path-result li").all_inner_texts() == [
        user.email,
        "Apollo",
        "Inner",
        "Notes",
    ]

    page.locator('#neighbours a:text-is("Launch plan")').click()
    page.wait_for_url("**/graph/?node=graphlab.page*")
    why = page.locator("#why").inner_text()
    assert "member of" in why
    assert "Apollo" in why
    assert "parent of" in why


def sign_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def view_box(page) -> list[float]:
    return [float(n) for n in page.locator("#graph-svg").get_attribute("viewBox").split()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_find_by_name_then_pan_zoom_and_expand_a_node_in_place(live_server, page):
    from playwright.sync_api import expect

    user = UserFactory(first_name="Iris")
    apollo = Space.objects.create(name="Apollo")
    relate(user, RelationType.MEMBER, apollo)
    pages = [Page.objects.create(name=f"Page {index:02}", space=apollo) for index in range(35)]
    thread = Thread.objects.create(name="Launch thread", page=pages[0])
    sign_in(page, live_server.url, user)

    # Find by name: suggestions appear as the user types, and one draws the space.
    page.goto(f"{live_server.url}/graph/")
    page.locator("#search-form input[name=q]").fill("apol")
    suggestion = page.locator("#search-suggestions a", has_text="Apollo")
    expect(suggestion).to_be_visible()
    suggestion.click()
    page.wait_for_url("**/graph/?node=graphlab.space*")

    # A crowded neighbourhood: 30 neighbours drawn, the rest grouped.
    expect(page.locator("svg .graph-node--group")).to_have_count(1)
    expect(page.locator("svg .graph-node--group")).to_contain_text("+6 more")
    expect(page.locator("#neighbours tbody tr")).to_have_count(36)

    # A big drawing opens at a legible size round its centre; "Fit" shows it whole.
    svg_size = float(page.locator("#graph-svg").get_attribute("data-size"))
    first = view_box(page)
    assert first[2] < svg_size
    page.locator('[data-zoom="reset"]').click()
    whole = view_box(page)
    assert whole == [0, 0, svg_size, svg_size]

    # Zoom and move with the keyboard, pan by dragging.
    page.locator("#graph-svg").focus()
    page.keyboard.press("+")
    assert view_box(page)[2] < whole[2]
    page.keyboard.press("ArrowRight")
    moved = view_box(page)
    assert moved[0] > whole[0]
    page.locator('[data-zoom="reset"]').click()
    assert view_box(page) == whole
    page.locator('[data-zoom="in"]').click()
    before = view_box(page)
    svg = page.locator("#graph-svg").bounding_box()
    page.mouse.move(svg["x"] + 40, svg["y"] + 40)
    page.mouse.down()
    page.mouse.move(svg["x"] + 140, svg["y"] + 90, steps=5)
    page.mouse.up()
    after = view_box(page)
    assert after[0] < before[0]
    assert after[1] < before[1]
    assert page.url.count("expand=") == 0  # a drag is not a click

    # A click on a node expands it in place: its thread appears, the page does not reload.
    page.evaluate("() => { window.stillThisPage = true; }")
    page.locator('[data-zoom="reset"]').click()
    page.locator(f'svg [data-node="{node_of(pages[0])}"]').click()
    expect(page.locator(f'svg [data-node="{node_of(thread)}"]')).to_have_count(1)
    assert "expand=" in page.url
    assert page.evaluate("() => window.stillThisPage") is True  # swapped in, not reloaded

    # The expanded node keeps the focus; Enter on it folds it again, from the keyboard.
    node_link = page.locator(f'svg a:has([data-node="{node_of(pages[0])}"])')
    expect(node_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f'svg [data-node="{node_of(thread)}"]')).to_have_count(0)
    assert "expand=" not in page.url
