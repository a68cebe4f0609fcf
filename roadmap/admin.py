from django.contrib import admin

from roadmap.models import Part, Resource, Roadmap, Topic


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ("title", "updated_at")


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ("title", "roadmap", "order", "status")
    list_filter = ("status", "roadmap")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "part", "order")
    list_filter = ("part",)
    list_select_related = ("part",)
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title",)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("title", "topic", "kind", "level", "cost", "status", "order")
    list_filter = ("status", "kind", "level", "cost", "topic__part")
    list_select_related = ("topic",)
    search_fields = ("title", "url", "description")
