"""Files attached to workflow records: the one write path and what each person may see.

A machine takes files when it registers two hooks (registry.Machine):

    attach_parts(record) -> {part: shown to the public?}   the parts files may hang on now
                                                             ("" = the record itself, "decision",
                                                             "progress:12" …)
    may_attach(record, user, part) -> bool                  may this person attach or remove there?

The public reads the files of a public record's public parts; they are part of its published content
(registry.register adds them to Machine.published), so attaching or removing one on a published
record appends an audit entry binding the file's sha256, and verify_audit notices a changed hash.
Files on a record nobody else can see yet (a petition draft) are bound when it is published.
"""

from __future__ import annotations

import os

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import registry
from .errors import NotFound, PermissionDenied, ValidationFailed
from .files import IMAGE, file_clean
from .models import Attachment
from .parsers import bad_text_message, text_is_clean

MAX_TITLE = 200
MAX_ALT = 500


def _machine(record) -> registry.Machine:
    try:
        machine = registry.machine_for(record)
    except LookupError:
        machine = None
    if machine is None or machine.attach_parts is None or machine.may_attach is None:
        raise NotFound(_("Files cannot be attached to this record."))
    return machine


def _rows(record: models.Model):
    return Attachment.objects.filter(record_type=record._meta.label_lower, record_id=str(record.pk))


def public_parts(record: models.Model) -> set[str]:
    """The parts whose files the public reads now (none while the record itself is not public)."""
    machine = registry.machine_for(record)
    if machine.attach_parts is None:
        return set()
    if machine.visible_to is not None and not machine.visible_to(record, AnonymousUser()):
        return set()
    return {part for part, public in machine.attach_parts(record).items() if public}


def published_files(record: models.Model) -> list[dict]:
    """What the audit chain binds of a record's public files (no names: they may hold personal data)."""
    parts = public_parts(record)
    if not parts:
        return []
    return [_bound(a) for a in _rows(record).filter(part__in=parts).order_by("id")]


def _bound(a: Attachment) -> dict:
    return {"id": a.pk, "part": a.part, "kind": a.kind, "sha256": a.sha256, "size": a.size, "alt_text": a.alt_text}


def attachments_for(record: models.Model, user) -> list[Attachment]:
    """The files `user` may see on `record`: those of its public parts, and of the parts they may
    attach to (a decision being drafted); none when they may not see the record."""
    machine = registry.machine_for(record)
    if machine.attach_parts is None:
        return []
    if machine.visible_to is not None and not machine.visible_to(record, user):
        return []
    parts = machine.attach_parts(record)
    seen = {p for p, public in parts.items() if public or _may(machine, record, user, p)}
    return list(_rows(record).filter(part__in=seen))


def may_attach(record: models.Model, user, part: str = "") -> bool:
    try:
        machine = _machine(record)
    except NotFound:
        return False
    return part in machine.attach_parts(record) and _may(machine, record, user, part)


def _may(machine, record, user, part: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(machine.may_attach(record, user, part))


def _text(value, field: str, max_length: int) -> str:
    value = (value if isinstance(value, str) else "").strip()
    if not text_is_clean(value):
        raise ValidationFailed(details={field: [bad_text_message()]})
    if len(value) > max_length:
        raise ValidationFailed(details={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _title_from(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "").replace("\\", "/"))
    name = name.rsplit(".", 1)[0] if "." in name else name
    return "".join(ch for ch in name if ch.isprintable() and text_is_clean(ch)).strip()[:MAX_TITLE]


def _check(machine, record, actor, part: str) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
    if part not in machine.attach_parts(record):
        raise ValidationFailed(
            _("There is no such part of this record to attach a file to."), details={"part": [_("Not a part of this record.")]}
        )
    if not machine.may_attach(record, actor, part):
        raise PermissionDenied(_("You may not attach or remove files here."))


def _bind(machine, record, actor, *, name: str, a: Attachment, public: bool, before) -> None:
    """On a published record: an audit entry binding the file's hash and the new published content."""
    if not public:
        return
    from .models import AuditEntry
    from .services import audit_append, published_record

    extra = {"attachment": _bound(a)}
    entry = None
    if machine.published is not None:
        entry = published_record(record=record, actor=actor, name=name, since=before, extra=extra)
    if entry is None:
        audit_append(record=record, action=AuditEntry.Action.MODERATION, name=name, actor=actor, payload=extra)


def attachment_add(*, record: models.Model, actor, upload, part: str = "", alt_text: str = "", title: str = "") -> Attachment:
    """Attach `upload` (a Django UploadedFile) to `part` of `record`. ValidationFailed for a file
    that is not a PDF or an image within the limits, or an image without alternative text."""
    machine = _machine(record)
    part = part if isinstance(part, str) else ""
    alt_text = _text(alt_text, "alt_text", MAX_ALT)
    title = _text(title, "title", MAX_TITLE)
    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        _check(machine, locked, actor, part)  # who may, before reading the file
        clean = file_clean(upload)
        if clean.kind == IMAGE and not alt_text:
            message = _("Describe the image in a few words for people who cannot see it (alternative text).")
            raise ValidationFailed(message, details={"alt_text": [message]})
        before = machine.published(locked) if machine.published is not None else None
        a = Attachment(
            organisation_id=locked.organisation_id, record_type=locked._meta.label_lower, record_id=str(locked.pk),
            part=part, kind=clean.kind, content_type=clean.content_type, size=len(clean.data), sha256=clean.sha256,
            title=title or _title_from(upload) or (_("Image") if clean.kind == IMAGE else _("Document")),
            alt_text=alt_text if clean.kind == IMAGE else "", uploaded_by=actor,
        )  # fmt: skip
        a.file.save(f"file.{clean.extension}", ContentFile(clean.data), save=False)
        try:
            if clean.thumbnail is not None:
                a.thumbnail.save(f"thumb.{clean.extension}", ContentFile(clean.thumbnail), save=False)
            a.save()
            _bind(machine, locked, actor, name="attachment_add", a=a, public=part in public_parts(locked), before=before)
        except BaseException:
            _delete_files(a)
            raise
    return a


def attachment_remove(*, attachment: Attachment, actor, reason: str = "") -> None:
    """Remove a file (its row now, its stored bytes once the transaction commits)."""
    machine = registry.machine_by_label(attachment.record_type)
    if machine is None:
        raise NotFound()
    record = machine.model._default_manager.filter(pk=attachment.record_id).first()
    if record is None:
        raise NotFound()
    machine = _machine(record)
    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        a = Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
        if a is None:
            raise NotFound()
        _check(machine, locked, actor, a.part)
        public = a.part in public_parts(locked)
        before = machine.published(locked) if machine.published is not None else None
        a_id = a.pk
        a.delete()
        a.pk = a_id  # the audit entry names the file that went
        _bind(machine, locked, actor, name="attachment_remove", a=a, public=public, before=before)
        transaction.on_commit(lambda: _delete_files(a))


def _delete_files(a: Attachment) -> None:
    for f in (a.file, a.thumbnail):
        if f and f.name:
            f.storage.delete(f.name)


def attachment_get(pk, user) -> Attachment:
    """One file `user` may see (NotFound otherwise, whether it exists or not)."""
    try:
        a = Attachment.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        a = None
    if a is None:
        raise NotFound()
    machine = registry.machine_by_label(a.record_type)
    record = machine.model._default_manager.filter(pk=a.record_id).first() if machine else None
    if record is None or a not in attachments_for(record, user):
        raise NotFound()
    a.record = record
    return a
