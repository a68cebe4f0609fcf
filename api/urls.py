from django.urls import path

from api import views
from api.endpoints import api

urlpatterns = [
    path("me/tokens/", views.tokens, name="api-tokens"),
    path("me/tokens/<int:pk>/revoke", views.token_revoke_view, name="api-token-revoke"),
    path("api/v1/", api.urls),
]
