import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions.enums import RelationType
from relations import services
from relations.lab.models import Page, Space
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

    page.locator(f'svg [data-node="{node_of(plan)}"]').click()
    page.wait_for_url("**/graph/?node=graphlab.page*")
    why = page.locator("#why").inner_text()
    assert "member of" in why
    assert "Apollo" in why
    assert "parent of" in why
