from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from curation.views import your_suggestions
        from roadmap.pages import RESOURCE_ACTIONS, TOPIC_ACTIONS
        from roadmap.render_once import DASHBOARD_SECTIONS

        # On a roadmap's page: report a problem with each resource, suggest one for each
        # topic; on /me/: the learner's suggestions and what became of them.
        for registry, item in [
            (RESOURCE_ACTIONS, "curation/row_actions.html"),
            (TOPIC_ACTIONS, "curation/topic_actions.html"),
            (DASHBOARD_SECTIONS, your_suggestions),
        ]:
            if item not in registry:
                registry.append(item)
