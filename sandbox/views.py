from django.http import HttpRequest, HttpResponse


def overview(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sandbox")


def faults(request: HttpRequest) -> HttpResponse:
    return HttpResponse("faults")


def gates(request: HttpRequest) -> HttpResponse:
    return HttpResponse("gates")
