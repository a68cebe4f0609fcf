"""What the site's admin pages share."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError


class SelectionChecked(admin.ModelAdmin):
    """Admin's actions as Django runs them, bar two answers: a selection that names no
    row of the list (an id garbled or forged) is said, rather than a 500; and an action's
    own fields that are not valid (a reason too long) are said, rather than Django's "No
    action selected". Either way nothing is done."""

    def response_action(self, request, queryset):
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(
                request,
                "The selection names rows this list does not have: nothing was done.",
                messages.ERROR,
            )
            return None
        form = self.action_form(request.POST, auto_id=None)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid() and set(form.errors) - {"action"}:
            for name, errors in form.errors.items():
                if name != "action":
                    said = " ".join(errors)
                    self.message_user(
                        request,
                        f"{form.fields[name].label}: {said} Nothing was done.",
                        messages.ERROR,
                    )
            return None
        return super().response_action(request, queryset)
