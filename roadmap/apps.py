from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "roadmap"

    def ready(self) -> None:
        from roadmap import signals

        signals.connect()
