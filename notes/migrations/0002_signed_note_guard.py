"""A signed note is locked below the application: PostgreSQL refuses any change to its
content, participants or links and any deletion, whatever path the write takes (form, API,
admin, ORM save, queryset update, raw SQL). After signing only the co-signature columns may
move, and only until the co-signature is given. Addenda are written signed and never change.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION notes_signed_note_guard() RETURNS trigger AS $$
DECLARE
    movable text[] := ARRAY['cosign_status', 'cosigned_by_id', 'cosigned_at',
                            'cosign_comment', 'search_vector'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'A signed case note cannot be deleted.'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'signed' THEN
        IF (to_jsonb(NEW) - movable) IS DISTINCT FROM (to_jsonb(OLD) - movable) THEN
            RAISE EXCEPTION 'A signed case note cannot be changed; add an addendum.'
                USING ERRCODE = 'check_violation';
        END IF;
        IF OLD.cosign_status = 'approved' AND (
            NEW.cosign_status IS DISTINCT FROM OLD.cosign_status
            OR NEW.cosigned_by_id IS DISTINCT FROM OLD.cosigned_by_id
            OR NEW.cosigned_at IS DISTINCT FROM OLD.cosigned_at
            OR NEW.cosign_comment IS DISTINCT FROM OLD.cosign_comment) THEN
            RAISE EXCEPTION 'A co-signed case note cannot be changed.'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notes_casenote_signed_guard
    BEFORE UPDATE OR DELETE ON notes_casenote
    FOR EACH ROW EXECUTE FUNCTION notes_signed_note_guard();

CREATE OR REPLACE FUNCTION notes_signed_note_link_guard() RETURNS trigger AS $$
DECLARE
    note_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        note_id := OLD.casenote_id;
    ELSE
        note_id := NEW.casenote_id;
    END IF;
    IF EXISTS (SELECT 1 FROM notes_casenote WHERE id = note_id AND status = 'signed')
       OR (TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM notes_casenote WHERE id = OLD.casenote_id AND status = 'signed')) THEN
        RAISE EXCEPTION 'A signed case note cannot be changed; add an addendum.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notes_casenote_goals_signed_guard
    BEFORE INSERT OR UPDATE OR DELETE ON notes_casenote_goals
    FOR EACH ROW EXECUTE FUNCTION notes_signed_note_link_guard();
CREATE TRIGGER notes_casenote_referrals_signed_guard
    BEFORE INSERT OR UPDATE OR DELETE ON notes_casenote_referrals
    FOR EACH ROW EXECUTE FUNCTION notes_signed_note_link_guard();
CREATE TRIGGER notes_casenote_collaterals_signed_guard
    BEFORE INSERT OR UPDATE OR DELETE ON notes_casenote_collaterals
    FOR EACH ROW EXECUTE FUNCTION notes_signed_note_link_guard();

CREATE OR REPLACE FUNCTION notes_addendum_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM notes_casenote
                       WHERE id = NEW.note_id AND status = 'signed') THEN
            RAISE EXCEPTION 'Addenda are added to signed notes; edit the draft instead.'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'An addendum cannot be changed or deleted; add another addendum.'
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notes_addendum_guard
    BEFORE INSERT OR UPDATE OR DELETE ON notes_addendum
    FOR EACH ROW EXECUTE FUNCTION notes_addendum_guard();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS notes_addendum_guard ON notes_addendum;
DROP FUNCTION IF EXISTS notes_addendum_guard();
DROP TRIGGER IF EXISTS notes_casenote_collaterals_signed_guard ON notes_casenote_collaterals;
DROP TRIGGER IF EXISTS notes_casenote_referrals_signed_guard ON notes_casenote_referrals;
DROP TRIGGER IF EXISTS notes_casenote_goals_signed_guard ON notes_casenote_goals;
DROP FUNCTION IF EXISTS notes_signed_note_link_guard();
DROP TRIGGER IF EXISTS notes_casenote_signed_guard ON notes_casenote;
DROP FUNCTION IF EXISTS notes_signed_note_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    operations = [migrations.RunSQL(GUARD, reverse_sql=UNGUARD)]
