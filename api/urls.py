from django.urls import path, re_path

from api import views
from api.endpoints import api, no_operation

urlpatterns = [
    path("me/tokens/", views.tokens, name="api-tokens"),
    path("me/tokens/<int:pk>/revoke", views.token_revoke_view, name="api-token-revoke"),
    # (Before Ninja's own root, which names the API for its docs but answers a page.)
    path("api/v1/", no_operation),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/.", no_operation),
]
