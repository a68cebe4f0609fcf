from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, register_converter

from accounts import views as account_views
from roadmap import metrics
from roadmap import views as roadmap_views
from roadmap.converters import ShareTokenConverter

register_converter(ShareTokenConverter, "share_token")
handler400 = "config.errors.bad_request"
# Staff log in through allauth's login, with its rate limits, like everyone else: admin's
# own login form would take unlimited password guesses.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", roadmap_views.home, name="home"),
    path("roadmaps/<slug:slug>/", roadmap_views.roadmap_page, name="roadmap"),
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
    path("me/reset/", roadmap_views.progress_reset_page, name="progress-reset"),
    path("resources/<uuid:public_id>/note", roadmap_views.resource_note, name="resource-note"),
    path("p/<share_token:token>/", roadmap_views.share_page, name="share"),
    path("p/<share_token:token>/badge.svg", roadmap_views.share_badge, name="share-badge"),
    path(
        "p/<share_token:token>/<slug:slug>/badge.svg",
        roadmap_views.share_badge,
        name="share-roadmap-badge",
    ),
    path("accounts/", include("allauth.urls")),
    path("activity/", include("activity.urls")),
    path("search/", include("search.urls")),
    path("", include("curation.urls")),
    path("", include("api.urls")),
    path("healthz", roadmap_views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
]
