from django.urls import path

from activity import views

urlpatterns = [
    path("unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest-unsubscribe"),
]
