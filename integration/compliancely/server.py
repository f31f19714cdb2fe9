"""A Compliancely-like API on Django REST Framework + SimpleJWT.

Configured as Compliancely documents it: JWT login at /api/v2/token/ (the
guide's /api/v2/token/create/ too), refresh with rotation and blacklisting,
stock SimpleJWT verify at /api/v2/token/validate/, one throttle of 10
requests a minute on everything (login and refresh included) whose 429 asks
the client to wait 10 minutes. Lifetimes, the throttle and the penalty come
from the environment so that tests run in seconds:

  CL_ACCESS_SECONDS   access token lifetime (3600)
  CL_REFRESH_SECONDS  refresh token lifetime (86400)
  CL_THROTTLE         "N/W": N requests in any W seconds ("10/60")
  CL_PENALTY_SECONDS  Retry-After of a 429 (600; see throttling.py)
  CL_DB               sqlite file (required)

It listens on 127.0.0.1, port 0, and prints "PORT=<n>" when ready. Test
hooks live under /_test/ and are neither throttled nor counted:
GET counts, POST reset (counts and throttle), POST revoke (blacklists every
refresh token), POST deactivate?user=… , GET log (every arrival: its
time, method, path, status and whether it carried an expired token, with
the most requests the throttle counted in its window).
"""
import base64
import collections
import json
import os
import socketserver
import sys
import threading
import time
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

ACCESS = float(os.environ.get("CL_ACCESS_SECONDS", "3600"))
REFRESH = float(os.environ.get("CL_REFRESH_SECONDS", "86400"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="integration-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework_simplejwt.token_blacklist",
    ],
    # What `startproject` gives an API (CommonMiddleware: APPEND_SLASH),
    # with the counter outermost so that it sees every final status.
    MIDDLEWARE=[
        __name__ + ".count_middleware",
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["CL_DB"]}},
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_THROTTLE_CLASSES": ["throttling.CompliancelyThrottle"],
        "DEFAULT_THROTTLE_RATES": {"compliancely": os.environ.get("CL_THROTTLE", "10/60")},
        "EXCEPTION_HANDLER": "throttling.exception_handler",
    },
    SIMPLE_JWT={
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS),
        "REFRESH_TOKEN_LIFETIME": timedelta(seconds=REFRESH),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "AUTH_HEADER_TYPES": ("Bearer",),
    },
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from rest_framework import views  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer  # noqa: E402
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken  # noqa: E402
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView  # noqa: E402

class LoginSerializer(TokenObtainPairSerializer):
    """SimpleJWT's pair, plus the lifetimes Compliancely adds."""

    def validate(self, attrs):
        data = super().validate(attrs)
        data["access_expiry_seconds"] = int(ACCESS)
        data["refresh_expiry_seconds"] = int(REFRESH)
        return data


class LoginView(TokenObtainPairView):
    serializer_class = LoginSerializer


class PingView(views.APIView):
    """A protected business call: JWT auth, IsAuthenticated, throttled."""

    def get(self, request):
        return Response({"success": True, "data": {"username": request.user.username}})


# --- counts: method, path, status of every request the API answered ------

_counts = collections.Counter()
_log = []  # every arrival, in order
_lock = threading.Lock()


def _exp(token):
    """The exp claim of a JWT, read without verifying it (None if absent)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _expired(request, now):
    """Which expired token the request carried ("access", "refresh" or "").

    As SimpleJWT judges it (Token.check_exp): expired once exp <= now; exp
    is whole seconds since the epoch.
    """
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("Bearer "):
        exp = _exp(auth[len("Bearer "):])
        if exp is not None and exp <= now:
            return "access"
    if request.path == "/api/v2/token/refresh/":
        try:
            exp = _exp(json.loads(request.body).get("refresh", ""))
        except (ValueError, AttributeError):
            exp = None
        if exp is not None and exp <= now:
            return "refresh"
    return ""


def count_middleware(get_response):
    def middleware(request):
        if request.path.startswith("/_test/"):
            return get_response(request)
        now = time.time()
        expired = _expired(request, now)
        response = get_response(request)
        with _lock:
            _counts["%s %s %d" % (request.method, request.path, response.status_code)] += 1
            _log.append({"t": now, "method": request.method, "path": request.path,
                         "status": response.status_code, "expired": expired})
        return response

    return middleware


def test_counts(request):
    with _lock:
        return JsonResponse(dict(_counts))


def test_log(request):
    from throttling import most_counted

    with _lock:
        return JsonResponse({"arrivals": list(_log), "most_in_window": most_counted()})


@csrf_exempt
def test_reset(request):
    from throttling import forget_counted

    with _lock:
        _counts.clear()
        _log.clear()
    forget_counted()
    cache.clear()
    User.objects.filter(username="bob").update(is_active=True)
    return JsonResponse({})


@csrf_exempt
def test_revoke(request):
    for t in OutstandingToken.objects.all():
        BlacklistedToken.objects.get_or_create(token=t)
    return JsonResponse({})


@csrf_exempt
def test_deactivate(request):
    User.objects.filter(username=request.GET["user"]).update(is_active=False)
    return JsonResponse({})


urlpatterns = [
    path("api/v2/token/", LoginView.as_view()),
    path("api/v2/token/create/", LoginView.as_view()),
    path("api/v2/token/refresh/", TokenRefreshView.as_view()),
    path("api/v2/token/validate/", TokenVerifyView.as_view()),
    path("api/v2/ping/", PingView.as_view()),
    path("_test/counts", test_counts),
    path("_test/log", test_log),
    path("_test/reset", test_reset),
    path("_test/revoke", test_revoke),
    path("_test/deactivate", test_deactivate),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


def main():
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    User.objects.create_user("alice", password="wonderland-1")
    User.objects.create_user("bob", password="builder-2")
    server = make_server("127.0.0.1", 0, get_wsgi_application(), ThreadingServer, QuietHandler)
    print("PORT=%d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
