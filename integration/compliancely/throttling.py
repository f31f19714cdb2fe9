"""Compliancely's throttle and its 429 text, as DRF settings name them.

A module of its own: DRF reads DEFAULT_THROTTLE_CLASSES and
EXCEPTION_HANDLER when rest_framework.views is first imported.
"""
import os
import threading

from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

PENALTY = int(os.environ.get("CL_PENALTY_SECONDS", "600"))

THROTTLED_TEXT = (
    "Your request has been throttled due to exceeding the allowed rate limit. "
    "Please wait for 10 minutes before trying again. If this issue persists, consider "
    "adjusting the request frequency or contact support for further assistance."
)


class CompliancelyThrottle(SimpleRateThrottle):
    """DRF's sliding-log throttle, one bucket per client IP for every view.

    DRF's own rate syntax knows only s/m/h/d; "N/W" (W seconds) lets tests
    scale the window down. wait() is what Compliancely asks for, 10 minutes.
    """

    scope = "compliancely"

    def parse_rate(self, rate):
        num, secs = rate.split("/")
        return int(num), float(secs)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def wait(self):
        return PENALTY

    def throttle_success(self):
        # The history now holds this request: what the throttle counts in
        # its window, kept for the tests (GET /_test/log).
        allowed = super().throttle_success()
        with _counted_lock:
            _counted[0] = max(_counted[0], len(self.history))
        return allowed


_counted = [0]  # the most requests the throttle saw in its window
_counted_lock = threading.Lock()


def most_counted():
    with _counted_lock:
        return _counted[0]


def forget_counted():
    with _counted_lock:
        _counted[0] = 0


def exception_handler(exc, context):
    """DRF's handler, with Compliancely's own text on a 429."""
    from rest_framework import views

    response = views.exception_handler(exc, context)
    if isinstance(exc, exceptions.Throttled) and response is not None:
        response.data = {"detail": THROTTLED_TEXT}
    return response
