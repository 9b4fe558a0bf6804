"""Start a pattern from the command line, and with --wait follow it to its end."""

import json
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import BaseAppException
from patterns.management.tables import table
from patterns.models import Execution, ExecutionStatus, Pattern
from patterns.services import execution_start


def error_text(error) -> str:
    if not error:
        return ""
    text = f"{error.get('code', '')}: {error.get('message', '')}"
    if error.get("details"):
        text += f" {json.dumps(error['details'], ensure_ascii=False, default=str)}"
    return text


class Command(BaseCommand):
    help = (
        "Start pattern KEY with a JSON input as a user (--as EMAIL, else the first admin). "
        "With --wait, follow it until it finishes, print its steps and exit 1 unless it "
        "succeeded."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version means a pattern version here, not Django's: let it replace the base option.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("key", help="The pattern's key.")
        parser.add_argument("--input", default="{}", help="The input as a JSON object.")
        parser.add_argument("--as", dest="email", help="Run as this user (e-mail).")
        parser.add_argument("--version", type=int, help="Run this version, not the current.")
        parser.add_argument("--idempotency-key", default="", help="Start at most once per key.")
        parser.add_argument("--wait", action="store_true", help="Follow the run to its end.")
        parser.add_argument(
            "--timeout", type=float, default=300.0, help="Seconds --wait waits (default 300)."
        )
        parser.add_argument("--poll", type=float, default=0.5, help=argparse_hidden())

    def handle(
        self, *args, key, input, email, version, idempotency_key, wait, timeout, poll, **opts
    ):
        data = self.parse_input(input)
        actor = self.actor(email)
        pattern = Pattern.objects.filter(key=key).first()
        if pattern is None:
            raise CommandError(f"There is no pattern {key}.")
        try:
            with transaction.atomic():
                execution, created = execution_start(
                    actor=actor,
                    pattern=pattern,
                    input=data,
                    version=version,
                    idempotency_key=idempotency_key,
                )
        except BaseAppException as exc:
            details = f" {json.dumps(exc.details, default=str)}" if exc.details else ""
            raise CommandError(f"{exc.code}: {exc.message}{details}") from exc
        verb = "started" if created else "already started"
        self.stdout.write(
            f"execution {execution.pk} of {pattern.key} v{execution.version.number} {verb} "
            f"as {actor.email}"
        )
        execution.refresh_from_db()
        if wait:
            execution = self.follow(execution, timeout=timeout, poll=poll)
        if not execution.is_finished:
            self.stdout.write(f"status: {execution.status}")
            return
        self.report(execution)
        if execution.status != ExecutionStatus.SUCCEEDED:
            raise CommandError(
                f"execution {execution.pk} ended {execution.status}: {error_text(execution.error)}"
            )

    @staticmethod
    def parse_input(text: str) -> dict:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--input is not JSON: {exc.msg} (column {exc.colno}).") from exc
        if not isinstance(data, dict):
            raise CommandError("--input must be a JSON object.")
        return data

    @staticmethod
    def actor(email: str | None):
        users = get_user_model().objects.filter(is_active=True)
        if email:
            user = users.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"There is no active user {email}.")
            return user
        user = users.filter(role=Role.ADMIN).order_by("created_at", "id").first()
        if user is None:
            raise CommandError("There is no admin user to run as: pass --as EMAIL.")
        return user

    def follow(self, execution: Execution, *, timeout: float, poll: float) -> Execution:
        deadline = time.monotonic() + timeout
        while not execution.is_finished:
            if time.monotonic() >= deadline:
                self.report(execution)
                raise CommandError(
                    f"execution {execution.pk} still {execution.status} after {timeout:g}s"
                )
            time.sleep(poll)
            execution.refresh_from_db()
        return execution

    def report(self, execution: Execution) -> None:
        rows = [
            (
                run.step_id,
                run.type,
                run.status,
                run.attempts,
                run.duration_ms,
                error_text(run.error),
            )
            for run in execution.steps.order_by("position")
        ]
        self.stdout.write(table(("step", "type", "status", "attempts", "ms", "error"), rows))
        self.stdout.write(f"status: {execution.status}")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
