import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_database_at_0002_loses_the_session_user_constraint():
    """0002 once made the session's user a database foreign key; 0003 drops it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def constraints() -> int:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "accounts_session")
        return sum(1 for c in found.values() if c["foreign_key"])

    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0002_sessions_know_their_user")])
    try:
        assert constraints() == 1
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert constraints() == 0
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
