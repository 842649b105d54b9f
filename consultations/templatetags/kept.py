"""{% kept refused "comment" parent_id=… problem_id=… alternative_id=… as k %}: what a refused form
of this kind at this place had (views.keeping re-renders the page with it), or {} for every other
form on the page."""

from django import template

register = template.Library()


def _id(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@register.simple_tag
def kept(refused, kind, parent_id="", problem_id="", alternative_id="", item_kind="", object_id=""):
    if not refused or refused.get("kind") != kind:
        return {}
    if kind == "moderation" and (refused.get("item_kind"), refused.get("object_id")) != (item_kind, _id(object_id)):
        return {}
    if kind == "comment":
        here = (_id(parent_id), _id(problem_id), _id(alternative_id))
        if here != (refused.get("parent_id"), refused.get("problem_id"), refused.get("alternative_id")):
            return {}
    return refused
