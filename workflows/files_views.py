"""Files on workflow records, in the pages: served safely, attached and removed from a form.

Served by these views only, never from MEDIA_URL: the record's visibility applies, the content type
is the one the content was recognised as (never the client's), a PDF downloads (attachment) and an
image shows inline, with nosniff and a sandboxing CSP. Uploaded HTML or SVG cannot exist here:
workflows.files accepts only PDFs and re-encoded JPEG / PNG / WebP images.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.redirects import safe_next

from . import registry
from .attachments import attachment_add, attachment_get, attachment_remove
from .errors import ApplicationError, NotFound, error_text
from .files import PDF


def _served(a, field) -> FileResponse:
    f = getattr(a, field)
    if not f:
        raise Http404
    try:
        handle = f.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=a.content_type)
    extension = f.name.rsplit(".", 1)[-1]
    name = f"{a.title}.{extension}"
    disposition = "attachment" if a.kind == PDF else "inline"
    ascii_name = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_." else "_" for ch in name)
    response["Content-Disposition"] = f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


def attachment_file(request, pk: int, field: str = "file"):
    """The file (or, with field="thumbnail", its thumbnail) to whoever may see it; 404 otherwise."""
    try:
        a = attachment_get(pk, request.user)
    except NotFound:
        raise Http404 from None
    return _served(a, "thumbnail" if field == "thumbnail" else "file")


def _back(request, record, part: str) -> str:
    machine = registry.machine_for(record)
    default = machine.public_url(record) if machine.public_url else "/"
    asked = request.POST.get("next")
    target = safe_next(request, asked, "home") if asked else default
    slug = re.sub(r"[^a-z0-9-]", "", part.replace(":", "-"))[:40] or "record"
    return target + (f"#attachments-{slug}" if "#" not in target else "")


@login_required
@require_POST
def attachment_add_page(request, records: str, pk: int):
    machine = registry.machine_by_api_name(records)
    record = machine.model._default_manager.filter(pk=pk).first() if machine else None
    if record is None or (machine.visible_to is not None and not machine.visible_to(record, request.user)):
        raise Http404
    try:
        attachment_add(
            record=record, actor=request.user, upload=request.FILES.get("file"), part=request.POST.get("part", ""),
            alt_text=request.POST.get("alt_text", ""), title=request.POST.get("title", ""),
        )  # fmt: skip
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("File attached."))
    return redirect(_back(request, record, request.POST.get("part", "")))


@login_required
@require_POST
def attachment_remove_page(request, pk: int):
    try:
        a = attachment_get(pk, request.user)
        attachment_remove(attachment=a, actor=request.user)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect(_back(request, a.record, a.part))
    messages.success(request, _("File removed."))
    return redirect(_back(request, a.record, a.part))
