"""The staff screens of AI usage at /admin/."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from projects.tests.factories import ProjectFactory
from workspace.ai_usage.models import ModelPrice
from workspace.tests.ai_usage.factories import (
    BudgetFactory,
    InteractionFactory,
    ModelPriceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", ["modelprice", "aiinteraction", "aibudget", "aibudgetalert"])
def test_admin_lists_load(admin_client, model):
    price = ModelPriceFactory()
    interaction = InteractionFactory(project=ProjectFactory())
    BudgetFactory(user=interaction.user)

    response = admin_client.get(reverse(f"admin:workspace_{model}_changelist"))

    assert response.status_code == 200
    if model == "modelprice":
        assert price.model in response.content.decode()


def test_interactions_are_read_only(admin_client):
    interaction = InteractionFactory()

    assert admin_client.get(reverse("admin:workspace_aiinteraction_add")).status_code == 403
    change = admin_client.get(
        reverse("admin:workspace_aiinteraction_change", args=[interaction.pk])
    )
    assert change.status_code == 200
    assert b'name="_save"' not in change.content


def test_interaction_filters_load(admin_client):
    InteractionFactory(module="mail", model="m-x", status="error")

    response = admin_client.get(
        reverse("admin:workspace_aiinteraction_changelist") + "?module=mail&status=error&model=m-x"
    )

    assert response.status_code == 200
    assert "m-x" in response.content.decode()


def test_staff_add_a_price(admin_client):
    response = admin_client.post(
        reverse("admin:workspace_modelprice_add"),
        {
            "model": "gpt-new",
            "usage_type": "output",
            "price_per_million": "12.5",
            "currency": "USD",
            "valid_from_0": "2026-04-01",
            "valid_from_1": "00:00:00",
        },
    )

    assert response.status_code == 302
    price = ModelPrice.objects.get(model="gpt-new")
    assert price.price_per_million == Decimal("12.5")


def test_duplicate_price_is_refused_by_the_form(admin_client):
    ModelPriceFactory(
        model="gpt-x",
        usage_type="input",
        valid_from=datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC),
    )

    response = admin_client.post(
        reverse("admin:workspace_modelprice_add"),
        {
            "model": "gpt-x",
            "usage_type": "input",
            "price_per_million": "1",
            "currency": "USD",
            "valid_from_0": "2026-04-01",
            "valid_from_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert ModelPrice.objects.filter(model="gpt-x").count() == 1


def test_budget_for_both_user_and_project_is_refused(admin_client, user):
    project = ProjectFactory()

    response = admin_client.post(
        reverse("admin:workspace_aibudget_add"),
        {"user": str(user.pk), "project": str(project.pk), "amount": "5", "currency": "USD"},
    )

    assert response.status_code == 200
    assert "exactly one user or project" in response.content.decode()
