from django.contrib import admin
from django.urls import path

from roadmap import views as roadmap_views

urlpatterns = [
    path("", roadmap_views.roadmap_page, name="roadmap"),
    path("healthz", roadmap_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
