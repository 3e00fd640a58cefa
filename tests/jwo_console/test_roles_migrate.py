"""The roles come from the post_migrate sync alone: the 0002_roles migrations do nothing, and a
fresh database still gets both groups with every permission jwo_console/roles.py lists."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jwo_console import roles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.unit
@pytest.mark.parametrize("app", ["stores", "catalog", "connector", "orders"])
def test_roles_data_migrations_are_no_ops(app):
    migration = importlib.import_module(f"{app}.migrations.0002_roles").Migration
    assert migration.operations == []


def test_fresh_migrate_creates_the_roles_with_their_permissions(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_console.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)
    script = (
        "import json; from django.contrib.auth.models import Group; print(json.dumps({g.name: "
        "sorted(f'{p.content_type.app_label}.{p.codename}' for p in g.permissions.all()) "
        "for g in Group.objects.all()}))"
    )
    out = subprocess.run(
        [*manage, "shell", "-v0", "-c", script],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    held = json.loads(out.strip().splitlines()[-1])

    assert set(held) == {roles.MERCHANT_ADMIN, roles.STAFF}
    for role, perms in roles.ROLE_PERMISSIONS.items():
        assert set(perms) <= set(held[role]), set(perms) - set(held[role])
    assert "payments.refund_order" in held[roles.MERCHANT_ADMIN]
    assert "payments.refund_order" not in held[roles.STAFF]
