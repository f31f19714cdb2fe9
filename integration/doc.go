// Package integration runs unikyc against small servers of our own built
// on the frameworks the providers' servers run on: Compliancely on Django
// REST Framework + SimpleJWT (compliancely/), a FastAPI-Users style back
// office on FastAPI (backoffice/) and KYConnect on NestJS (kyconnect/).
// Each server is configured as its provider documents, with lifetimes and
// limits scaled down by environment variables so that the suite runs in
// under three minutes, counts every request it answers (GET /_test/counts)
// and logs each arrival: its time on the server's clock, its status,
// whether it carried a token the framework would judge expired, and the
// most requests the framework's own throttle counted in its window (GET
// /_test/log).
//
// The scheduling scenarios (scheduling_test.go, issue #24) run sixteen
// callers back to back on short tokens and tight budgets, revoke a session
// while a refresh is in flight and meet a 429 with callers of short and
// long deadlines; each logs its figures (401s reaching callers, expired
// tokens on the wire, 429s drawn, the most requests in any window as the
// server counted) and asserts each is 0 or within the limit.
//
// The tests carry the "integration" build tag: `make integration` installs
// the servers' npm packages and runs them; `make test` does not. The tests
// start and stop every server themselves, on 127.0.0.1 and ports the
// kernel picks. They need python3 with Debian's python3-django,
// python3-djangorestframework-simplejwt, python3-fastapi, python3-uvicorn
// and python3-multipart, and node with `npm ci` run in kyconnect/
// (.ci/run installs all of it).
package integration
