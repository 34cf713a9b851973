from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS client_record_number_seq START 1001",
            reverse_sql="DROP SEQUENCE IF EXISTS client_record_number_seq",
        ),
    ]
