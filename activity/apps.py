from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from activity.templatetags.activity import shared_activity
        from roadmap.render_once import REQUEST_VALUES

        # A share page is made once for every share link; what its owner shows of their
        # rhythm is filled in per request ({% from_request "shared_activity" %}).
        REQUEST_VALUES["shared_activity"] = shared_activity
