from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from roadmap import views as roadmap_views

urlpatterns = [
    path("", roadmap_views.roadmap_page, name="roadmap"),
    path(
        "resources/<uuid:public_id>/progress",
        roadmap_views.progress_update,
        name="progress-update",
    ),
    path("me/", roadmap_views.dashboard, name="dashboard"),
    path("me/profile/", account_views.profile, name="profile"),
    path("me/export.json", account_views.export, name="account-export"),
    path("me/delete/", account_views.delete, name="account-delete"),
    path("me/sharing/", roadmap_views.sharing_settings, name="sharing"),
    path("p/<str:token>/", roadmap_views.share_page, name="share"),
    path("p/<str:token>/badge.svg", roadmap_views.share_badge, name="share-badge"),
    path("accounts/", include("allauth.urls")),
    path("healthz", roadmap_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
