"""Server time of Settings → Integrations → Just Walk Out with many stores mapped.

Builds a throwaway SQLite database (or uses DATABASE_URL's server with a bench_ database
created by Django's test runner), maps STORES stores, and times the page's render through
Django's test client: p50 / p95 / max in milliseconds, and the number of SQL queries.

    .venv/bin/python bench/mapping_page.py [STORES] [REQUESTS]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_console.settings.test")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    stores_n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    requests_n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    old = runner.setup_databases()
    try:
        from django.test import Client

        from tests.factories import JwoStoreMappingFactory, StoreFactory, merchant_admin

        for _ in range(stores_n):
            JwoStoreMappingFactory()
        for _ in range(20):
            StoreFactory()
        client = Client()
        client.force_login(merchant_admin(username="bench"))
        url = "/settings/integrations/jwo/"
        client.get(url)  # warm up
        timings = []
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        for _ in range(requests_n):
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"mapping page, {stores_n} mappings, {connection.vendor}, {os.cpu_count()} cores: "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms, "
            f"{len(queries)} queries per page"
        )
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
