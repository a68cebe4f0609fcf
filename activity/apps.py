from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from activity.templatetags.activity import shared_activity
        from roadmap.render_once import SHARE_PAGE_SECTIONS

        # A share page is made once for every share link; what its owner shows of their
        # rhythm is filled in per request, one of the page's sections from other apps.
        if shared_activity not in SHARE_PAGE_SECTIONS:
            SHARE_PAGE_SECTIONS.append(shared_activity)
