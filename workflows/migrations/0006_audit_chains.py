"""One audit chain per organisation (docs/AUDIT.md, "Chains").

The one chain that existed before stays as it is and becomes the legacy chain: its head row (id 1)
becomes the row of chain -1, with its length. New entries (format 3) go to the chain of their
organisation, each starting from a genesis hash that binds the legacy chain's head; checkpoints
from now on (version 2) sign every chain's head. Nothing in an existing entry or checkpoint changes,
so everything signed or saved outside before this stays verifiable.
"""

from django.db import migrations, models

LEGACY_CHAIN = -1
GENESIS_HASH = "0" * 64


def legacy_head(apps, schema_editor):
    Head = apps.get_model("workflows", "AuditChainHead")
    Entry = apps.get_model("workflows", "AuditEntry")
    old = Head.objects.filter(chain=1).first()
    last = Entry.objects.order_by("-id").only("id", "hash").first()
    count = Entry.objects.count()
    if old is None and last is None:
        return  # a new install: no legacy chain
    if old is not None:
        Head.objects.create(chain=LEGACY_CHAIN, last_hash=old.last_hash, last_entry_id=old.last_entry_id, entries=count)
        old.delete()
    else:  # entries without a head row: the head is the last entry
        Head.objects.create(chain=LEGACY_CHAIN, last_hash=last.hash, last_entry_id=last.pk, entries=count)


def legacy_head_back(apps, schema_editor):
    Head = apps.get_model("workflows", "AuditChainHead")
    old = Head.objects.filter(chain=LEGACY_CHAIN).first()
    if Head.objects.exclude(chain=LEGACY_CHAIN).exists():
        raise RuntimeError("entries were written to the per-organisation chains: this migration cannot be undone")
    if old is not None:
        Head.objects.create(chain=1, last_hash=old.last_hash, last_entry_id=old.last_entry_id)
        old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0005_merge_0004_attachment_0004_pg_trgm"),
    ]

    operations = [
        migrations.RenameField(model_name="auditchainhead", old_name="id", new_name="chain"),
        migrations.AlterField(
            model_name="auditchainhead", name="chain", field=models.BigIntegerField(primary_key=True, serialize=False)
        ),
        migrations.AddField(model_name="auditchainhead", name="entries", field=models.PositiveBigIntegerField(default=0)),
        migrations.AlterField(
            model_name="auditentry", name="format", field=models.PositiveSmallIntegerField(db_default=1, default=3)
        ),
        migrations.AddField(
            model_name="auditcheckpoint", name="version", field=models.PositiveSmallIntegerField(db_default=1, default=2)
        ),
        migrations.AddField(model_name="auditcheckpoint", name="heads", field=models.JSONField(blank=True, null=True)),
        migrations.RunPython(legacy_head, legacy_head_back),
    ]
