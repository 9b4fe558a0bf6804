"""The OpenAPI schema describes the API, and Swagger UI works without the internet."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_lists_the_accounts_endpoints():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/auth/token/", "/api/v1/auth/me/", "/api/v1/events/"):
        assert path in paths


def test_swagger_ui_loads_its_assets_from_our_own_static_files():
    client = Client()
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} would need the internet"
        assert client.get(asset).status_code == 200
