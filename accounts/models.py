from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A learner or curator. Custom from the start so fields can be added without pain."""

    display_name = models.CharField(
        max_length=60,
        blank=True,
        help_text="Shown on your shared progress page instead of your username.",
    )

    def __str__(self) -> str:
        return self.display_name or self.username
