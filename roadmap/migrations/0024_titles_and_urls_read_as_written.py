"""Curators' titles and a resource's URL read as written (accounts.models.reads_as_written):
no control characters (one in a roadmap's title made every badge of it unreadable XML)
and no marks that turn the text around (a URL could disguise where it goes). Validators
only: nothing in the database changes; a title that has one is refused at its next edit."""

import django.core.validators
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0023_versions_bumped_by_content_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="part",
            name="title",
            field=models.CharField(max_length=200, validators=[accounts.models.reads_as_written]),
        ),
        migrations.AlterField(
            model_name="resource",
            name="title",
            field=models.CharField(max_length=300, validators=[accounts.models.reads_as_written]),
        ),
        migrations.AlterField(
            model_name="resource",
            name="url",
            field=models.URLField(
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(schemes=["http", "https"]),
                    accounts.models.reads_as_written,
                ],
                verbose_name="URL",
            ),
        ),
        migrations.AlterField(
            model_name="roadmap",
            name="title",
            field=models.CharField(max_length=200, validators=[accounts.models.reads_as_written]),
        ),
        migrations.AlterField(
            model_name="topic",
            name="title",
            field=models.CharField(max_length=200, validators=[accounts.models.reads_as_written]),
        ),
    ]
