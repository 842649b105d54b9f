from .selectors import staff_organisations


def roles(request):
    user = getattr(request, "user", None)
    return {"staff_orgs": staff_organisations(user) if user is not None else []}
