"""Pages about a person's data: the notices, the download and the erasure request (signed in), and
the staff page where erasure requests are completed."""

from django.shortcuts import render

from .notices import KINDS, notice


def privacy(request):
    """Every notice in one place, and for a signed-in person the download and the erasure request."""
    notices = [notice(kind) for kind in KINDS]
    context = {"notices": notices, "controller": notices[0].controller, "contact": notices[0].contact}
    return render(request, "accounts/privacy.html", context)
