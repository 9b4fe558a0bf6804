"""Install the system patterns (patterns/system.py). Data only; the schema is in 0001.

Forward runs the same installer as ``manage.py install_system_patterns``, so it is safe on a
database that already has them. Backward removes the system patterns that never ran; those
with executions are kept, since their history must stay readable.
"""

from django.db import migrations


def install(apps, schema_editor):
    from patterns.system import system_patterns_install

    system_patterns_install(
        pattern_model=apps.get_model("patterns", "Pattern"),
        version_model=apps.get_model("patterns", "PatternVersion"),
    )


def remove(apps, schema_editor):
    from patterns.system import system_patterns_remove

    system_patterns_remove(pattern_model=apps.get_model("patterns", "Pattern"))


class Migration(migrations.Migration):
    dependencies = [
        ("patterns", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
