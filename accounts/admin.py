from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from accounts.models import User
from config.admin import SelectionChecked

# Sign-in providers are configured from the environment (config/settings.py) and their
# tokens are not kept; a learner's connections are theirs to manage on their profile.
for model in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

# Django's and allauth's admins of accounts check an action's selection as ours do.
for model in (Group, EmailAddress):
    registered = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(registered.__name__, (SelectionChecked, registered), {}))


@admin.register(User)
class UserAdmin(SelectionChecked, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Profile", {"fields": ("display_name",)}))
    list_display = ("username", "email", "display_name", "is_staff", "date_joined")
