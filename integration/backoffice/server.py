"""A KYC back office on FastAPI, with FastAPI-Users' JWT login contract.

POST /auth/jwt/login takes OAuth2PasswordRequestForm (username, password,
grant_type=password) and answers {"access_token","token_type":"bearer"};
400 {"detail":"LOGIN_BAD_CREDENTIALS"} for a wrong or inactive login, 400
{"detail":"LOGIN_USER_NOT_VERIFIED"}; FastAPI's own 422 for a body that is
not the form. GET /users/me needs the bearer token and answers
401 {"detail":"Unauthorized"} without it, as FastAPI-Users does. The JWT is
signed as FastAPI-Users signs it (HS256, sub, aud fastapi-users:auth, exp).

  BO_TOKEN_SECONDS  token lifetime (3600)

It listens on 127.0.0.1, port 0, and prints "PORT=<n>" when ready. Test
hooks under /_test/ are not counted: GET counts, POST reset, POST revoke
(every token issued so far is refused from now on), GET log (every
arrival: its time, method, path, status and whether its token had
expired; FastAPI-Users has no throttle, so most_in_window is 0).
"""
import collections
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

LIFETIME = float(os.environ.get("BO_TOKEN_SECONDS", "3600"))
SECRET = "integration-only-not-a-secret"
AUDIENCE = ["fastapi-users:auth"]

USERS = {
    "ada@example.com": {"id": uuid.uuid4(), "password": "lovelace-1", "is_active": True, "is_verified": True},
    "eve@example.com": {"id": uuid.uuid4(), "password": "unverified-2", "is_active": True, "is_verified": False},
    "zed@example.com": {"id": uuid.uuid4(), "password": "inactive-3", "is_active": False, "is_verified": True},
}

app = FastAPI()
bearer = OAuth2PasswordBearer(tokenUrl="auth/jwt/login", auto_error=False)
state = {"generation": 0}  # a token from an older generation is revoked
counts = collections.Counter()
log = []  # every arrival, in order
lock = threading.Lock()


def expired(request: Request, now: float) -> str:
    """"access" if the bearer token's exp had passed when it arrived, as
    PyJWT judges it (expired once exp <= now), else ""."""
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return ""
    try:
        exp = jwt.decode(auth[len("Bearer "):], options={"verify_signature": False})["exp"]
    except (jwt.PyJWTError, KeyError):
        return ""
    return "access" if exp <= now else ""


@app.middleware("http")
async def count(request: Request, call_next):
    if request.url.path.startswith("/_test/"):
        return await call_next(request)
    now = time.time()
    was_expired = expired(request, now)
    response = await call_next(request)
    with lock:
        counts["%s %s %d" % (request.method, request.url.path, response.status_code)] += 1
        log.append({"t": now, "method": request.method, "path": request.url.path,
                    "status": response.status_code, "expired": was_expired})
    return response


@app.post("/auth/jwt/login")
def login(credentials: OAuth2PasswordRequestForm = Depends()):
    user = USERS.get(credentials.username)
    if user is None or user["password"] != credentials.password or not user["is_active"]:
        raise HTTPException(status_code=400, detail="LOGIN_BAD_CREDENTIALS")
    if not user["is_verified"]:
        raise HTTPException(status_code=400, detail="LOGIN_USER_NOT_VERIFIED")
    claims = {
        "sub": str(user["id"]),
        "aud": AUDIENCE,
        "exp": datetime.now(timezone.utc) + timedelta(seconds=LIFETIME),
        "gen": state["generation"],
    }
    return {"access_token": jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "bearer"}


def current_user(token: str = Depends(bearer)):
    """FastAPI-Users' current_user(active=True): 401 with no other detail."""
    if token is None:
        raise HTTPException(status_code=401)
    try:
        claims = jwt.decode(token, SECRET, audience=AUDIENCE, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401)
    if claims.get("gen") != state["generation"]:
        raise HTTPException(status_code=401)
    for email, user in USERS.items():
        if str(user["id"]) == claims["sub"] and user["is_active"]:
            return email, user
    raise HTTPException(status_code=401)


@app.get("/users/me")
def me(found=Depends(current_user)):
    email, user = found
    return {"id": str(user["id"]), "email": email, "is_active": user["is_active"],
            "is_superuser": False, "is_verified": user["is_verified"]}


@app.get("/_test/counts")
def test_counts():
    with lock:
        return dict(counts)


@app.get("/_test/log")
def test_log():
    with lock:
        return {"arrivals": list(log), "most_in_window": 0}


@app.post("/_test/reset")
def test_reset():
    with lock:
        counts.clear()
        log.clear()
    return {}


@app.post("/_test/revoke")
def test_revoke():
    state["generation"] += 1
    return {}


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue until uvicorn serves them
    print("PORT=%d" % sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    main()
