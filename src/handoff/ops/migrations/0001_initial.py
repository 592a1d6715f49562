# DailyJob moved here from core. The table core.0001 created is adopted as it is (db_table), so no data
# moves and existing installations only record this migration.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("core", "0002_dailyjob_moves_to_ops"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DailyJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=60, unique=True)),
                        ("last_run_on", models.DateField(blank=True, null=True)),
                        ("last_result", models.JSONField(blank=True, default=dict)),
                    ],
                    options={"db_table": "core_dailyjob"},
                ),
            ],
            database_operations=[],
        ),
    ]
