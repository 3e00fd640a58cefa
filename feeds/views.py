import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jwo_console.bodies import read_capped_body
from jwo_console.paginator import CappedPaginator

from . import events as services
from .models import EventStatus, FeedEvent, IntradayFile

logger = logging.getLogger(__name__)
MAX_BODY = 256 * 1024  # EventBridge's largest event is 256 KB


@csrf_exempt
@login_not_required
@require_POST
def events_receive(request: HttpRequest) -> JsonResponse:
    """EventBridge API destination: 401 without the key, 400 naming the field, 202 stored."""
    if not services.event_key_valid(request.headers.get("X-JWO-Event-Key", "")):
        logger.warning("event feed: missing or wrong X-JWO-Event-Key")
        return JsonResponse({"message": "X-JWO-Event-Key: missing or wrong"}, status=401)
    raw, size, too_large = read_capped_body(request, cap=MAX_BODY, preview=4096)
    if too_large:
        logger.warning("event feed: body of %s bytes refused", size)
        services.feed_event_refuse_too_large(preview=raw, size=size, cap=MAX_BODY)
        return JsonResponse(
            {
                "message": f"body: {size} bytes; at most {MAX_BODY} (256 KB) are accepted",
                "errors": [{"field": "body", "error": "larger than 256 KB"}],
            },
            status=413,
        )
    body = raw.decode("utf-8", errors="replace")
    try:
        event, created = services.feed_event_receive(body=body)
    except services.InvalidEvent as exc:
        return JsonResponse(
            {"message": str(exc), "errors": [{"field": exc.field, "error": str(exc)}]},
            status=400,
        )
    return JsonResponse(
        {"id": event.event_id, "duplicate": not created, "status": event.status},
        status=202 if created else 200,
    )


@permission_required("feeds.view_feedevent", raise_exception=True)
def dead_letters(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", EventStatus.FAILED)
    if status not in EventStatus.values:
        status = EventStatus.FAILED
    rows = FeedEvent.objects.filter(status=status).select_related("store")
    page = CappedPaginator(rows, 50).get_page(request.GET.get("page"))
    counts = dict(
        FeedEvent.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    statuses = [(v, label, counts.get(v, 0)) for v, label in EventStatus.choices]
    return render(
        request, "feeds/events.html", {"page": page, "status": status, "statuses": statuses}
    )


@permission_required("feeds.replay_feedevent", raise_exception=True)
@require_POST
def event_replay(request: HttpRequest, pk: int) -> HttpResponse:
    event = services.feed_event_replay(event=get_object_or_404(FeedEvent, pk=pk))
    logger.info(
        "feed event replayed",
        extra={"feed_event": event.event_id, "user_id": request.user.pk, "status": event.status},
    )
    if event.status == EventStatus.FAILED:
        messages.error(request, f"Event {event.event_id} failed again: {event.error}")
    else:
        messages.success(request, f"Event {event.event_id}: {event.get_status_display()}.")
    return redirect(f"{reverse('feeds:events')}?status=FAILED")


@permission_required("feeds.view_intradayfile", raise_exception=True)
def files(request: HttpRequest) -> HttpResponse:
    page = CappedPaginator(IntradayFile.objects.defer("content"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "feeds/files.html", {"page": page})


@permission_required("feeds.view_intradayfile", raise_exception=True)
def file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    file = get_object_or_404(IntradayFile, pk=pk)
    return render(
        request,
        "feeds/file_detail.html",
        {"file": file, "errors": file.row_errors.all()[:500]},
    )
