import io

import pytest
from django.core.management import call_command


def latest_and_empty(executor) -> None:
    """After a test that moved the migrations: the database at the latest, and empty."""
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    call_command("flush", "--no-input", verbosity=0)


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


@pytest.mark.django_db(transaction=True)
def test_states_and_notes_move_to_works_and_none_is_lost():
    """0010: two resources whose URLs now compare equal become one work; a learner's two
    states of it become the one that counts, and their two notes are joined."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("roadmap", "0009_notes")])
    try:
        old = executor.loader.project_state([("roadmap", "0009_notes")]).apps
        User = old.get_model("accounts", "User")
        roadmap = old.get_model("roadmap", "Roadmap").objects.create(title="Deep Learning")
        part = old.get_model("roadmap", "Part").objects.create(
            roadmap=roadmap, title="P", slug="p", order=1, status="published"
        )
        topic = old.get_model("roadmap", "Topic").objects.create(
            part=part, title="T", slug="t", order=1
        )
        Resource = old.get_model("roadmap", "Resource")
        first, second, other = (
            Resource.objects.create(topic=topic, title=title, url=url, order=n, status="published")
            for n, (title, url) in enumerate(
                [
                    ("Book", "https://example.com/book/"),
                    ("Book again", "HTTP://Example.com/book"),
                    ("Other", "https://example.com/other"),
                ],
                start=1,
            )
        )
        ada = User.objects.create(username="ada")
        Progress = old.get_model("roadmap", "Progress")
        Progress.objects.create(user=ada, resource=first, state="in_progress")
        Progress.objects.create(user=ada, resource=second, state="done")
        Progress.objects.create(user=ada, resource=other, state="skipped")
        Note = old.get_model("roadmap", "Note")
        Note.objects.create(user=ada, resource=first, text="one", html="<p>one</p>")
        Note.objects.create(user=ada, resource=second, text="two", html="<p>two</p>")

        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        from roadmap.models import Note as NewNote
        from roadmap.models import Progress as NewProgress
        from roadmap.models import Resource as NewResource
        from roadmap.models import Roadmap as NewRoadmap

        assert NewRoadmap.objects.get().slug == "deep-learning"
        assert NewRoadmap.objects.get().status == "published"
        book = NewResource.objects.get(pk=first.pk)
        assert NewResource.objects.get(pk=second.pk).work_id == book.work_id
        states = dict(NewProgress.objects.values_list("work_id", "state"))
        assert states == {
            book.work_id: "done",
            NewResource.objects.get(pk=other.pk).work_id: "skipped",
        }
        note = NewNote.objects.get()
        assert note.text == "one\n\ntwo" and note.work_id == book.work_id
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_every_existing_row_gets_its_markdowns_html():
    """0013: the HTML beside each Markdown field is filled for the rows already there."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("roadmap", "0012_work_joins")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        roadmap = old.get_model("roadmap", "Roadmap").objects.create(
            title="R", slug="r", summary="*Seeing*", introduction="Read <b>this</b>."
        )
        part = old.get_model("roadmap", "Part").objects.create(
            roadmap=roadmap, title="P", slug="p", order=1, summary="A **part**."
        )
        topic = old.get_model("roadmap", "Topic").objects.create(
            part=part, title="T", slug="t", order=1, summary="`code`"
        )
        work = old.get_model("roadmap", "Work").objects.create(url_key="//x.example/")
        old.get_model("roadmap", "Resource").objects.create(
            topic=topic,
            work=work,
            title="X",
            url="https://x.example/",
            order=1,
            description="[a](javascript:alert(1)) and _this_",
        )
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        from roadmap.models import Part, Resource, Roadmap, Topic

        roadmap = Roadmap.objects.get(slug="r")
        assert roadmap.summary_html == "<p><em>Seeing</em></p>\n"
        assert roadmap.introduction_html == "<p>Read &lt;b&gt;this&lt;/b&gt;.</p>\n"
        assert Part.objects.get(slug="p").summary_html == "<p>A <strong>part</strong>.</p>\n"
        assert Topic.objects.get(slug="t").summary_html == "<p><code>code</code></p>\n"
        html = Resource.objects.get(title="X").description_html
        assert 'href="javascript:' not in html and "<em>this</em>" in html
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_joins_recorded_before_keep_their_entries_and_no_note_text():
    """0017 then 0019: a join recorded as a document becomes its entries, which undo it as
    the document did: of a note met, how much of it was there and a signed digest of what
    the join made, not the texts; a learner deleted since leaves nothing; a bare record none;
    each shape that code wrote, one learner moved and met too. 0020 drops the document;
    going back past 0019 gives every join one the code before reads."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, back = [("roadmap", "0016_workjoin_resource")], [("roadmap", "0018_markdown_line_ends")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        User = old.get_model("accounts", "User")
        Work = old.get_model("roadmap", "Work")
        WorkJoin = old.get_model("roadmap", "WorkJoin")
        ada, bob = (User.objects.create(username=name) for name in ("ada", "bob"))
        a, b = (Work.objects.create(url_key=key) for key in ("//a.example/", "//b.example/"))
        gone = ada.pk + bob.pk  # an account deleted since the join
        met = {"before": ["in_progress", None], "after": ["done", None]}
        when = "2026-01-02T03:04:05+00:00"
        texts = {"before": "Mine", "after": "Mine\n\nTheirs", "updated_at": when}
        records = [
            {  # as recorded first, with the notes' texts
                "states_moved": [ada.pk, gone],
                "states_met": {str(bob.pk): met, str(gone): met},
                "notes_moved": [bob.pk],
                "notes_met": {str(ada.pk): texts},
            },
            {  # a note met by its length alone; a visitor's states; a learner moved and met
                "states_moved": [bob.pk],
                "states_met": {str(bob.pk): met},
                "notes_moved": [],
                "notes_met": {str(ada.pk): {"kept": 4, "updated_at": when}},
                "visitors_moved": ["f" * 32],
                "visitors_met": {"e" * 32: met},
            },
            {},
        ]
        for record in records:
            WorkJoin.objects.create(from_work=a, into_work=b, record=record)
        executor.loader.build_graph()
        executor.migrate([("roadmap", "0020_workjoin_record_goes")])  # (0021: no such visitor)

        from accounts.models import User as NewUser
        from roadmap.models import WorkJoin as NewJoin
        from roadmap.services import recorded

        def entries(join) -> dict:
            return {
                (e.kind, e.user_id or e.visitor, e.moved): (e.before, e.after)
                for e in join.entries.all()
            }

        first, second, bare = NewJoin.objects.order_by("pk")
        assert entries(first) == {
            ("state", ada.pk, True): (None, None),
            ("state", bob.pk, False): (met["before"], met["after"]),
            ("note", bob.pk, True): (None, None),
            ("note", ada.pk, False): (
                {"kept": 4, "updated_at": when},
                recorded("Mine\n\nTheirs", of="note"),
            ),
        }
        assert entries(second) == {
            ("state", bob.pk, True): (None, None),
            ("state", bob.pk, False): (met["before"], met["after"]),
            ("note", ada.pk, False): ({"kept": 4, "updated_at": when}, None),
            ("state", "f" * 32, True): (None, None),
            ("state", "e" * 32, False): (met["before"], met["after"]),
        }
        assert not bare.entries.exists()
        assert "Theirs" not in str([entries(join) for join in (first, second)])
        NewUser.objects.filter(pk=ada.pk).delete()  # and their entries with them
        assert ("note", ada.pk, False) not in entries(second)

        executor.loader.build_graph()  # and back, a document again for every join
        executor.migrate(back)
        old = executor.loader.project_state(back).apps
        first, second, bare = old.get_model("roadmap", "WorkJoin").objects.order_by("pk")
        empty = {
            "states_moved": [],
            "states_met": {},
            "notes_moved": [],
            "notes_met": {},
            "visitors_moved": [],
            "visitors_met": {},
        }
        assert first.record == empty | {
            "states_met": {str(bob.pk): met},
            "notes_moved": [bob.pk],
        }
        assert second.record == empty | {
            "states_moved": [bob.pk],
            "states_met": {str(bob.pk): met},
            "visitors_moved": ["f" * 32],
            "visitors_met": {"e" * 32: met},
        }
        assert bare.record == empty
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_joins_name_visitors_by_their_key_and_forget_those_gone(settings):
    """0021: an entry that named a visitor by a digest of their key names them by the key,
    signed with the secret or one it had (a live session's, or the key their states are
    filed under); one whose visitor is gone goes; back, each key is a digest again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils.crypto import salted_hmac

    def digest(key: str, secret: str) -> str:
        return salted_hmac("roadmap.WorkJoin.visitor", key, secret=secret).hexdigest()[:32]

    settings.SECRET_KEY_FALLBACKS = ["the secret it had"]
    before = [("roadmap", "0020_workjoin_record_goes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        sessions = ("accounts", "0008_display_names_read_as_written")
        old = executor.loader.project_state([*before, sessions]).apps
        Work = old.get_model("roadmap", "Work")
        a, b = (Work.objects.create(url_key=key) for key in ("//a.example/", "//b.example/"))
        join = old.get_model("roadmap", "WorkJoin").objects.create(from_work=a, into_work=b)
        old.get_model("accounts", "Session").objects.create(
            session_key="live" * 8, session_data="", expire_date="2100-01-01T00:00:00Z"
        )
        old.get_model("roadmap", "VisitorProgress").objects.create(
            visitor="kept" * 8, work=b, state="done"
        )
        Entry = old.get_model("roadmap", "WorkJoinEntry")
        for name, moved in (
            (digest("live" * 8, settings.SECRET_KEY), True),
            (digest("kept" * 8, "the secret it had"), False),
            (digest("gone" * 8, settings.SECRET_KEY), True),
        ):
            Entry.objects.create(join=join, kind="state", visitor=name, moved=moved)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        from roadmap.models import WorkJoinEntry

        assert set(WorkJoinEntry.objects.values_list("visitor", "moved")) == {
            ("live" * 8, True),
            ("kept" * 8, False),
        }

        executor.loader.build_graph()
        executor.migrate(before)
        Entry = executor.loader.project_state(before).apps.get_model("roadmap", "WorkJoinEntry")
        assert set(Entry.objects.values_list("visitor", "moved")) == {
            (digest("live" * 8, settings.SECRET_KEY), True),
            (digest("kept" * 8, settings.SECRET_KEY), False),
        }
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db
def test_display_names_saved_before_lose_their_control_characters_and_direction_marks():
    """0008: the share page's headline reads as written, whatever was saved before."""
    import importlib

    from django.apps import apps

    from accounts.models import User
    from tests.factories import UserFactory

    turned = UserFactory(username="t")
    User.objects.filter(pk=turned.pk).update(display_name="Ada\u202e x\x01y\tLee")
    kept = UserFactory(username="k", display_name="أدا لوفليس")
    importlib.import_module("accounts.migrations.0008_display_names_read_as_written").tidy(
        apps, None
    )
    assert User.objects.get(pk=turned.pk).display_name == "Ada xy Lee"
    assert User.objects.get(pk=kept.pk).display_name == "أدا لوفليس"


@pytest.mark.django_db
def test_suggested_titles_sent_before_lose_their_control_characters_and_direction_marks():
    """curation 0004: a title shown to everyone once accepted reads as written."""
    import importlib

    from django.apps import apps

    from curation.models import Suggestion
    from tests.factories import ResourceFactory, TopicFactory, UserFactory

    fields = {"user": UserFactory(), "topic": TopicFactory(), "why": "Good."}
    turned = Suggestion.objects.create(**fields, url="https://a.example/", title="A\u202e b\x07")
    kept = Suggestion.objects.create(**fields, url="https://b.example/", title="كتاب عميق")
    # Accepted before: its resource shows its title; another's the curator retitled.
    made, retitled = (ResourceFactory(title=title) for title in ("C\u202e d", "Curator's"))
    for resource, url in ((made, "https://c.example/"), (retitled, "https://d.example/")):
        Suggestion.objects.create(**fields, url=url, title="C\u202e d", resource=resource)
    importlib.import_module("curation.migrations.0004_suggestion_titles_read_as_written").tidy(
        apps, None
    )
    assert Suggestion.objects.get(pk=turned.pk).title == "A b"
    assert Suggestion.objects.get(pk=kept.pk).title == "كتاب عميق"
    made.refresh_from_db()
    retitled.refresh_from_db()
    assert (made.title, retitled.title) == ("C d", "Curator's")


@pytest.mark.django_db
def test_markdown_saved_with_a_textareas_line_ends_gets_the_files():
    """0018: "\r\n" and "\r" become "\n", as the models now keep them (Django's normalize_newlines)."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from roadmap.models import Topic
    from tests.factories import TopicFactory

    topic = TopicFactory()
    Topic.objects.filter(pk=topic.pk).update(summary="a\nb")  # (update normalizes too)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE roadmap_topic SET summary = %s WHERE id = %s", ["a\r\nb\rc", topic.pk]
        )
    migration = importlib.import_module("roadmap.migrations.0018_markdown_line_ends")
    with connection.schema_editor() as editor:
        migration.line_ends(apps, editor)
    assert Topic.objects.get(pk=topic.pk).summary == "a\nb\nc"
    from roadmap.models import Roadmap

    roadmap = topic.part.roadmap
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE roadmap_roadmap SET summary = %s WHERE id = %s", ["x\r\ny", roadmap.pk]
        )
    with connection.schema_editor() as editor:
        migration.line_ends(apps, editor)
    assert Roadmap.objects.get(pk=roadmap.pk).summary == "x\ny"


@pytest.mark.django_db(transaction=True)
def test_texts_holding_a_table_are_rendered_again_as_tables():
    """0025: pages render Markdown tables now; a text stored before, a curator's or a
    learner's note, shows its table as a table, and a text with no `|` is left as it is."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("roadmap", "0024_titles_and_urls_read_as_written")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    table = "| Book | Hours |\n|---|---|\n| DL | 40 |"
    try:
        old = executor.loader.project_state(before).apps
        roadmap = old.get_model("roadmap", "Roadmap").objects.create(title="R", slug="r")
        part = old.get_model("roadmap", "Part").objects.create(
            roadmap=roadmap, title="P", slug="p", order=1, summary=table, summary_html="<p>|</p>"
        )
        topic = old.get_model("roadmap", "Topic").objects.create(
            part=part, title="T", slug="t", order=1, summary="Plain.", summary_html="as it was"
        )
        work = old.get_model("roadmap", "Work").objects.create(url_key="//x.example/")
        learner = old.get_model("accounts", "User").objects.create(username="ada")
        old.get_model("roadmap", "Note").objects.create(
            user=learner, work=work, text=table, html="<p>|</p>"
        )
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        from roadmap.models import Note, Part, Topic

        assert "<table>" in Part.objects.get(pk=part.pk).summary_html
        assert "<table>" in Note.objects.get().html
        assert Topic.objects.get(pk=topic.pk).summary_html == "as it was"
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_texts_are_rendered_again_in_batches_each_committed(monkeypatch):
    """0025 held every note it rendered until it ended: a learner saving one waited for the
    whole table (26 s for 100,000). Now each batch is committed as it is done: while a
    learner's note of the second batch is held, the first is saved, and seen rendered."""
    import importlib
    import threading
    import time

    import psycopg
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    rendering = importlib.import_module("roadmap.migrations.0025_tables_rendered")
    monkeypatch.setattr(rendering, "BATCH", 1, raising=False)
    before = [("roadmap", "0024_titles_and_urls_read_as_written")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    table = "| Book | Hours |\n|---|---|\n| DL | 40 |"
    dsn = connection.settings_dict
    learner_side = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                                   port=dsn["PORT"] or None)  # fmt: skip
    migrating = threading.Thread(target=lambda: None)
    try:
        old = executor.loader.project_state(before).apps
        learner = old.get_model("accounts", "User").objects.create(username="ada")
        Work, Note = old.get_model("roadmap", "Work"), old.get_model("roadmap", "Note")
        first, second = (
            Note.objects.create(
                user=learner, work=Work.objects.create(url_key=key), text=table, html="<p>|</p>"
            )
            for key in ("//x.example/", "//y.example/")
        )
        learner_side.execute("SELECT 1 FROM roadmap_note WHERE id = %s FOR UPDATE", [second.pk])
        executor.loader.build_graph()

        def migrate() -> None:
            try:
                MigrationExecutor(connection).migrate([("roadmap", "0025_tables_rendered")])
            finally:
                connection.close()  # (this thread's)

        migrating = threading.Thread(target=migrate)
        migrating.start()
        seen = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                               port=dsn["PORT"] or None, autocommit=True)  # fmt: skip
        query = "SELECT html FROM roadmap_note WHERE id = %s"
        deadline = time.monotonic() + 20
        while "<table>" not in seen.execute(query, [first.pk]).fetchone()[0]:
            assert time.monotonic() < deadline, "the first batch was not committed"
            time.sleep(0.05)
        assert "<table>" not in seen.execute(query, [second.pk]).fetchone()[0]  # (held)
        learner_side.rollback()
        migrating.join(20)
        assert "<table>" in seen.execute(query, [second.pk]).fetchone()[0]
        seen.close()
    finally:
        learner_side.close()
        migrating.join(20)
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_joins_recorded_by_visitors_rows_ids_name_the_visitors():
    """0019: for a while a join recorded visitors' rows by their ids (`visitor_rows_moved`,
    `visitor_rows_met`); an upgrade from then made no entry of them, and undoing the join
    left a visitor's tick on the URL they never ticked. Now each names its visitor (a row
    gone since, nobody); and a learner's note met, recorded then by its length alone, is
    undone too when it is as the join left it (it was left joined)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("roadmap", "0018_markdown_line_ends")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Work = old.get_model("roadmap", "Work")
        a, b = (Work.objects.create(url_key=key) for key in ("//a.example/", "//b.example/"))
        VisitorProgress = old.get_model("roadmap", "VisitorProgress")
        at = "2026-01-01T00:00:00+00:00"
        moved, met_row = (
            VisitorProgress.objects.create(visitor=key * 8, work=b, state="done", completed_at=at)
            for key in ("mvd1", "met1")
        )
        started = "2025-12-01T00:00:00+00:00"
        met = {"before": ["in_progress", started], "after": ["done", at]}
        ada = old.get_model("accounts", "User").objects.create(username="ada")
        Note = old.get_model("roadmap", "Note")
        Note.objects.create(user=ada, work=a, text="Theirs", html="")
        Note.objects.create(user=ada, work=b, text="Mine\n\nTheirs", html="")
        when = "2026-01-02T03:04:05+00:00"
        old.get_model("roadmap", "WorkJoin").objects.create(
            from_work=a,
            into_work=b,
            record={
                "states_moved": [],
                "states_met": {},
                "notes_moved": [],
                "notes_met": {str(ada.pk): {"kept": 4, "updated_at": when}},
                "visitor_rows_moved": [moved.pk, met_row.pk + 1000],  # (one gone since)
                "visitor_rows_met": {str(met_row.pk): met},
            },
        )
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        from roadmap.models import Note, VisitorProgress, WorkJoin, WorkJoinEntry
        from roadmap.services import recorded, work_join_undo

        entries = {
            (e.kind, e.user_id or e.visitor, e.moved): (e.before, e.after)
            for e in WorkJoinEntry.objects.all()
        }
        assert entries == {
            ("state", "mvd1" * 8, True): (None, None),
            ("state", "met1" * 8, False): (met["before"], met["after"]),
            ("note", ada.pk, False): (
                {"kept": 4, "updated_at": when},
                recorded("Mine\n\nTheirs", of="note"),
            ),
        }
        work_join_undo(join=WorkJoin.objects.get())
        assert dict(VisitorProgress.objects.values_list("visitor", "work_id")) == {
            "mvd1" * 8: a.pk,
            "met1" * 8: b.pk,
        }
        assert VisitorProgress.objects.get(visitor="met1" * 8).state == "in_progress"
        assert dict(Note.objects.values_list("work_id", "text")) == {a.pk: "Theirs", b.pk: "Mine"}
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_going_back_past_0017_gives_the_code_before_the_texts_it_reads():
    """Back past 0017 (which no longer keeps a join's note texts), the code before read a
    note met by its texts, and a curator's undo of the join was a 500. A note as the join
    left it gives them back (the text before is its first `kept` characters); one changed
    since is left out, as undoing leaves it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from accounts.models import User
    from roadmap.models import Note, Work, WorkJoin, WorkJoinEntry
    from roadmap.services import recorded

    ada, bob = (User.objects.create(username=name) for name in ("ada", "bob"))
    a, b = (Work.objects.create(url_key=key) for key in ("//a.example/", "//b.example/"))
    join = WorkJoin.objects.create(from_work=a, into_work=b)
    when = "2026-01-02T03:04:05+00:00"
    for user, kept, made, now in ((ada, 4, "Mine\n\nTheirs", "Mine\n\nTheirs"),
                                  (bob, 3, "Bob\n\nX", "Bob, edited since")):  # fmt: skip
        Note.objects.create(user=user, work=b, text=now, html="")
        WorkJoinEntry.objects.create(
            join=join, kind="note", user=user, moved=False,
            before={"kept": kept, "updated_at": when}, after=recorded(made, of="note"),
        )  # fmt: skip
    back = [("roadmap", "0016_workjoin_resource")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(back)
        old = executor.loader.project_state(back).apps
        record = old.get_model("roadmap", "WorkJoin").objects.get().record
        assert record["notes_met"] == {
            str(ada.pk): {"before": "Mine", "after": "Mine\n\nTheirs", "updated_at": when}
        }
    finally:
        latest_and_empty(executor)


@pytest.mark.django_db(transaction=True)
def test_0026_cut_short_is_run_again_whole():
    """0026's concurrent steps wait for the transactions in flight; a deploy's migrate cut
    short there (a timeout, Ctrl-C) left an index half-built, and every later migrate
    failed on it ("already exists"). Run again, it finishes, with the index whole."""
    import psycopg
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("roadmap", "0025_tables_rendered")]
    target = [("roadmap", "0026_progress_by_work_state")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    dsn = connection.settings_dict
    reader = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                             port=dsn["PORT"] or None)  # fmt: skip
    try:
        reader.execute("SELECT count(*) FROM roadmap_progress")  # a transaction in flight
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '1s'")
        executor.loader.build_graph()
        with pytest.raises(Exception, match="statement timeout"):
            MigrationExecutor(connection).migrate(target)
        reader.rollback()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        MigrationExecutor(connection).migrate(target)  # again
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, x.indisvalid FROM pg_index x JOIN pg_class c"
                " ON c.oid = x.indexrelid WHERE x.indrelid = 'roadmap_progress'::regclass"
            )
            indexes = dict(cursor.fetchall())
        assert indexes["progress_by_work_state"] is True
        assert "roadmap_progress_work_id_839db52b" not in indexes
    finally:
        reader.close()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        call_command("flush", "--no-input", verbosity=0)
