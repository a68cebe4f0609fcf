from django.apps import AppConfig
from django.core.signals import request_finished


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.sessions import read_with_session

        # A request that read its session but never asked who is signed in leaves the
        # user it read behind: not past the end of the request.
        request_finished.connect(
            lambda **kwargs: read_with_session.set(None),
            weak=False,
            dispatch_uid="read_with_session",
        )
