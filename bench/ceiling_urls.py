"""The two views of the ceiling app (bench/ceiling.py)."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.common import CEILING_TABLE as TABLE


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def insert(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s)", [request.body.decode()[:200]])  # noqa: S608
    return HttpResponse("ok", content_type="text/plain", status=201)


urlpatterns = [path("bare/", bare), path("insert/", insert)]
