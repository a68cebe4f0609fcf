"""The "Curators" group: staff who edit the roadmap's content but not users."""

CURATORS = "Curators"
CURATED_MODELS = ["roadmap", "part", "topic", "resource"]


def curators_group_sync(*, group_model, permission_model):
    """Create or refresh the group with every permission on the content models. Takes the
    models as arguments so a migration can pass its historical ones."""
    group, _ = group_model.objects.get_or_create(name=CURATORS)
    permissions = permission_model.objects.filter(
        content_type__app_label="roadmap", content_type__model__in=CURATED_MODELS
    )
    group.permissions.set(permissions)
    return group
