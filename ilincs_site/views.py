from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from catalog.models import Collection, Dataset
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary


def home(request):
    counts = {
        "collections": Collection.objects.count(),
        "datasets": Dataset.public.count(),
        "libraries": SignatureLibrary.objects.filter(is_public=True).count(),
        "signatures": Signature.objects.filter(library__is_public=True).count(),
        "perturbagens": Perturbagen.objects.count(),
        "genes": Gene.objects.count(),
    }
    return render(request, "home.html", {"counts": counts})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
