from django.urls import path

from curation import views

urlpatterns = [
    path("topics/<int:topic_id>/suggest", views.suggest, name="topic-suggest"),
    path("resources/<uuid:public_id>/report", views.report, name="resource-report"),
]
