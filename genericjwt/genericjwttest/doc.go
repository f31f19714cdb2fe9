// Package genericjwttest is a fake FastAPI-Users JWT back office, for
// testing code that uses package genericjwt without a real back office.
//
// A Server runs on httptest (loopback only) and behaves like the real
// thing where a client can tell:
//
//   - POST /auth/jwt/login takes only an application/x-www-form-urlencoded
//     form with username, password and an optional grant_type, which must
//     be "password". A JSON body, or a missing or empty field, gets 422 with
//     FastAPI's list shape {"detail":[{"type","loc","msg","input"}]}
//     (pydantic v2; [WithPydanticV1] gives older installs'
//     {"loc","msg","type"}).
//   - Unknown user, wrong password or inactive user: 400
//     {"detail":"LOGIN_BAD_CREDENTIALS"}; an unverified user with the right
//     password: 400 {"detail":"LOGIN_USER_NOT_VERIFIED"} (the back office
//     runs with requires_verification=True).
//   - A good login answers {"access_token":<JWT>,"token_type":"bearer"}: a
//     real HS256 JWT whose "exp" is the token lifetime on the server's clock
//     (default one hour; 0 issues tokens without "exp", valid until
//     revoked).
//   - GET /users/me, GET /api/v1/resource ([ResourcePath]) and every route
//     added with [WithHandler] need "Authorization: Bearer <token>"; a
//     missing, unknown, expired or revoked token gets 401
//     {"detail":"Unauthorized"}.
//   - Any other path: 404 {"detail":"Not Found"}; a wrong method on a known
//     route: 405 {"detail":"Method Not Allowed"}; a known route spelled
//     with the other trailing slash: 307 to the route (Starlette's
//     redirect_slashes).
//
// Typical use in a test:
//
//	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk))
//	defer srv.Close()
//	client, err := genericjwt.New(srv.Config(), providers.WithClock(clk))
//	...
//	srv.ExpireTokens()             // the next call gets a 401, logs in again
//	srv.FailNext("/users/me", 1, http.StatusServiceUnavailable, nil)
//	fmt.Println(srv.Logins(), srv.Unauthorized())
//
// Pass the same clock.Fake to the server and to the client to drive token
// lifetimes without sleeping, or make the server [WithInMemory] and give
// the client its Transport (providers.WithTransport) to run both inside a
// testing/synctest bubble.
//
// The knobs and counters every unikyc fake shares come with the embedded
// Knobs: FailNext, AnswerNext, RateLimitNext, RateLimitNextNamed,
// UnavailableNext, DelayNext, Delay, ClearFaults; Requests, Calls, Faults,
// Rejected, RateLimited, Logins, LoginAttempts, Refreshes, Count, Hits,
// MaxRequestsIn, ResetCounts; ExpireTokens, ExpireAccessTokens,
// RevokeTokens, RevokeAccessTokens, LiveTokens; Clock, Transport, Client.
// Faults answer before any rule is checked and are counted by Calls,
// Requests and Faults but not as logins or rejections; an injected status
// without a body answers FastAPI's {"detail": <status text>}. This fake
// adds Unauthorized and ExpiredRejections.
package genericjwttest
