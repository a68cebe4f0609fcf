"""A suggested URL reads as written (accounts.models.reads_as_written): a mark that turns
the text around disguised, in the curators' queue, where the link goes. Validators only."""

import django.core.validators
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0004_suggestion_titles_read_as_written"),
    ]

    operations = [
        migrations.AlterField(
            model_name="suggestion",
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
    ]
