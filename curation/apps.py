from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete, pre_save

        from curation.services import credits_withdraw, visitor_reports_join
        from curation.views import your_suggestions
        from roadmap.pages import RESOURCE_ACTIONS, TOPIC_ACTIONS
        from roadmap.render_once import DASHBOARD_SECTIONS
        from roadmap.signals import visitor_joined

        # A visitor's reports are the account's once they sign up or log in; a deleted
        # account's name leaves the resources it was credited on, and a renamed one's
        # follows (a name taken away takes the credit with it).
        visitor_joined.connect(
            lambda sender, visitor, user, **kwargs: visitor_reports_join(
                visitor=visitor, user=user
            ),
            dispatch_uid="curation_visitor_reports_join",
            weak=False,
        )
        pre_delete.connect(
            lambda sender, instance, **kwargs: credits_withdraw(user=instance),
            sender=get_user_model(),
            dispatch_uid="curation_credits_withdraw",
            weak=False,
        )
        pre_save.connect(
            credits_follow_name,
            sender=get_user_model(),
            dispatch_uid="curation_credits_follow_name",
            weak=False,
        )

        # On a roadmap's page: report a problem with each resource, suggest one for each
        # topic; on /me/: the learner's suggestions and what became of them.
        for registry, item in [
            (RESOURCE_ACTIONS, "curation/row_actions.html"),
            (TOPIC_ACTIONS, "curation/topic_actions.html"),
            (DASHBOARD_SECTIONS, your_suggestions),
        ]:
            if item not in registry:
                registry.append(item)


def credits_follow_name(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a learner is saved with another display name: their credit lines take it,
    in the transaction that saves the learner (the profile's and admin's each take one),
    so that a save that fails leaves them as they were."""
    from curation.services import credits_rewrite

    if instance.pk is None or (update_fields is not None and "display_name" not in update_fields):
        return
    was = sender.objects.filter(pk=instance.pk).values_list("display_name", flat=True).first()
    if was is not None and was.strip() != instance.display_name.strip():
        credits_rewrite(user=instance, was=was, now=instance.display_name)
