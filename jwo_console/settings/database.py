"""The database: SQLite by default, PostgreSQL through DATABASE_URL."""

from .environment import BASE_DIR, env

# SQLite by default (no server to install); PostgreSQL through DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# Persistent connections (checked before reuse): a new PostgreSQL connection per request costs
# more than a whole gate call (bench/_profile_connector.py). 0 closes after every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for a lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements reuse one plan. The project prepares one statement, stock depletion
    # inside pricing (stock/sales.py); under "auto" PostgreSQL planned it again at every run
    # (its generic plan, for arrays of unknown length, is costed above a custom one for five
    # items), which is most of what preparing saves. Foreign-key checks are the only other
    # users of the plan cache here, and their generic plan is the one "auto" picks anyway.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan"
    _options["options"] = _options["options"].strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
