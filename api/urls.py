from django.urls import path, re_path

from api import views
from api.endpoints import api

urlpatterns = [
    path("me/tokens/", views.tokens, name="api-tokens"),
    path("me/tokens/<int:pk>/revoke", views.token_revoke_view, name="api-token-revoke"),
    # (Before Ninja's own root, which names the API for its docs but answers a page.)
    path("api/v1/", views.api_not_found, name="api-root-not-found"),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.+)$", views.api_not_found),
]
