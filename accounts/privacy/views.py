"""Pages about a person's data: the notices, the download and the erasure request (signed in), and
the staff page where an organisation's admins complete or refuse erasure requests."""

import json

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workflows.errors import ApplicationError

from ..models import ErasureRequest
from .notices import KINDS, notice
from .selectors import erasure_requests_for, reviews_erasures
from .services import erasure_complete, erasure_refuse, erasure_request, personal_data_export


@require_GET
def privacy(request):
    """Every notice in one place, and for a signed-in person the download and the erasure request."""
    notices = [notice(kind) for kind in KINDS]
    context = {"notices": notices, "controller": notices[0].controller, "contact": notices[0].contact}
    if request.user.is_authenticated:
        context["open_request"] = ErasureRequest.objects.filter(user=request.user, state=ErasureRequest.State.OPEN).first()
        context["reviews_erasures"] = reviews_erasures(request.user)
    return render(request, "accounts/privacy.html", context)


@require_GET
def download(request):
    """Everything held about the signed-in person, as a JSON file."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    body = json.dumps(personal_data_export(user=request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"ruamkid-personal-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def erase(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.POST.get("next") or "/accounts/privacy/")
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want your personal data erased."))
        return redirect("accounts:privacy")
    try:
        _request, created = erasure_request(user=request.user, note=request.POST.get("note", ""))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:privacy")
    if created:
        messages.success(request, _("Your request is sent. Staff of the municipality will erase your data and tell you."))
    else:
        messages.info(request, _("You have already asked; your request is waiting for staff."))
    return redirect("accounts:privacy")


def requests(request):
    """Staff: open erasure requests of the organisations they administer, and recent decisions."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not reviews_erasures(request.user):
        return render(request, "403.html", status=403)
    rows = erasure_requests_for(request.user)
    context = {
        "open": [r for r in rows if r.state == ErasureRequest.State.OPEN],
        "decided": [r for r in rows if r.state != ErasureRequest.State.OPEN][:50],
    }
    return render(request, "accounts/privacy_requests.html", context)


@require_POST
def decide(request, pk: int, action: str):
    if not request.user.is_authenticated:
        return redirect_to_login("/accounts/privacy/requests/")
    try:
        if action == "complete":
            erasure_complete(request_id=pk, actor=request.user)
            messages.success(request, _("The person's data is erased."))
        elif action == "refuse":
            erasure_refuse(request_id=pk, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("The request is refused; the reason is kept in the audit trail."))
        else:
            return render(request, "404.html", status=404)
    except ApplicationError as exc:
        if exc.status == 404:
            return render(request, "404.html", status=404)
        messages.error(request, str(exc.message))
    return redirect("accounts:privacy-requests")
