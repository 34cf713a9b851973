"""A completed assessment is read-only below the application too: a database trigger
refuses to change or delete it (or its domain ratings), whatever path the write takes
(ORM save, queryset update, bulk_update, raw SQL). A client has at most one draft."""

from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION careplans_completed_assessment_guard() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'completed' THEN
        RAISE EXCEPTION 'A completed assessment cannot be changed; start a reassessment.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER careplans_assessment_completed_guard
    BEFORE UPDATE OR DELETE ON careplans_assessment
    FOR EACH ROW EXECUTE FUNCTION careplans_completed_assessment_guard();

CREATE OR REPLACE FUNCTION careplans_completed_need_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM careplans_assessment
               WHERE id = OLD.assessment_id AND status = 'completed') THEN
        RAISE EXCEPTION 'A completed assessment cannot be changed; start a reassessment.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER careplans_need_completed_guard
    BEFORE UPDATE OR DELETE ON careplans_domainneed
    FOR EACH ROW EXECUTE FUNCTION careplans_completed_need_guard();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS careplans_need_completed_guard ON careplans_domainneed;
DROP FUNCTION IF EXISTS careplans_completed_need_guard();
DROP TRIGGER IF EXISTS careplans_assessment_completed_guard ON careplans_assessment;
DROP FUNCTION IF EXISTS careplans_completed_assessment_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("careplans", "0002_instruments")]

    operations = [
        migrations.RunSQL(GUARD, reverse_sql=UNGUARD),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.UniqueConstraint(
                condition=models.Q(status="draft"),
                fields=("client",),
                name="assessment_one_draft_per_client",
            ),
        ),
    ]
