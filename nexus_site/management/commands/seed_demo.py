"""Load demo data for every app (idempotent) and print the logins."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Create demo users and data for every app (safe to run again) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (demo accounts have published passwords).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo accounts have published passwords: seed_demo runs only with "
                "DJANGO_DEBUG=true, or with --force."
            )
        # Each app that has demo data offers `<app>.demo.seed(stdout)`; apps run in
        # INSTALLED_APPS order, so a later layer can build on an earlier one.
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "demo"):
                module = import_module(f"{app_config.name}.demo")
                module.seed(self.stdout)
