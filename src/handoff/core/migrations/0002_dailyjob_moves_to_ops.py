# DailyJob moved to the ops app. The table stays where it is (ops' model names it with db_table), so this
# migration only forgets the model in core's state; ops.0001 adopts it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DailyJob")],
            database_operations=[],
        ),
    ]
