"""The "Curators" group: staff who edit the roadmap's content and work the queue of
suggestions and reports, but not users."""

CURATORS = "Curators"
CURATED_MODELS = ["roadmap", "part", "topic", "resource"]


def curators_group_sync(*, group_model, permission_model, app_label="roadmap", models=None):
    """Create the group if need be and grant it every permission on `models` of
    `app_label` (the content models by default; an app adds its own). Takes the models
    as arguments so a migration can pass its historical ones."""
    group, _ = group_model.objects.get_or_create(name=CURATORS)
    permissions = permission_model.objects.filter(
        content_type__app_label=app_label, content_type__model__in=models or CURATED_MODELS
    )
    group.permissions.add(*permissions)
    return group


def permissions_create(apps) -> None:
    """Make every app's permissions now, from a migration's historical `apps`: Django
    makes them only after all migrations have run, too late for a migration that grants
    them."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
