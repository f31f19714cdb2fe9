// Package genericjwt is the unikyc client for KYC back offices built on the
// FastAPI-Users JWT backend: the "generic JWT login" many vendors expose at
// https://<kyc_domain>. There is no public default base URL: every
// deployment has its own, so [Config.BaseURL] is required.
//
// # Authentication
//
// The client logs in with POST /auth/jwt/login ([Config.LoginPath]),
// sending an application/x-www-form-urlencoded form with username,
// password and grant_type=password, and gets {"access_token","token_type"}
// back. The access token, a JWT, goes out as "Authorization: Bearer" on
// every other call. There is no refresh token and no refresh endpoint: the
// token cache simply logs in again
//
//   - ahead of expiry, in the refresh-ahead soft window (by default the
//     larger of 60 s and 10 % of the lifetime, plus up to 25 % jitter), when
//     the JWT has an "exp" claim, or when [Config.TokenLifetime] documents
//     a lifetime for tokens that have none;
//   - after a 401: the rejected token is dropped, the client logs in once
//     and replays the request. A second 401 is returned as
//     providers.ErrUnauthorized.
//
// FastAPI-Users puts "exp" in the JWT only when the server sets a lifetime.
// A token without "exp" (and TokenLifetime 0) is used until the back office
// rejects it.
//
// The login is the only call a Client makes on its own. Errors at login are
// final when the credentials themselves are refused: after
// LOGIN_BAD_CREDENTIALS or LOGIN_USER_NOT_VERIFIED the client never tries
// to log in again (each further call returns the same error at once), so a
// wrong password cannot lock the account out. Build a new Client once the
// credentials are fixed or the user is verified.
//
// # Errors
//
// FastAPI answers errors as {"detail": …}, where detail is a string
// ("LOGIN_BAD_CREDENTIALS", "Unauthorized"), an object ({"code","reason"})
// or a list of validation errors ({"type","loc","msg","input"}). All three
// decode into *providers.Error:
//
//   - an upper-case string or the object's "code" fills Code; other
//     strings, "reason" and the validation "msg"s fill Message;
//   - each validation "loc" fills Fields, dotted ("body.username"); the
//     "input" echoed back is never copied anywhere but the raw Body;
//   - 400 LOGIN_BAD_CREDENTIALS matches providers.ErrInvalidCredentials;
//   - 400 LOGIN_USER_NOT_VERIFIED matches [ErrUserNotVerified] and also
//     providers.ErrInvalidCredentials (see ErrUserNotVerified for why);
//   - 403 matches [ErrForbidden]: FastAPI-Users answers
//     HTTPException(403), written {"detail":"Forbidden"}, to a logged-in
//     user a route's requirement (verified, superuser) refuses. On
//     [Client.Me] the only such requirement is verification
//     (get_users_router(requires_verification=True) while the auth router
//     lets unverified users log in), so there it also matches
//     [ErrUserNotVerified] — but not providers.ErrInvalidCredentials, since
//     the login was accepted. (C: fastapi_users v15.0.5,
//     authentication/authenticator.py and router/users.py.)
//   - 401 matches providers.ErrUnauthorized, 404 ErrNotFound, 422
//     ErrValidation, 429 ErrRateLimited, by status.
//
// Error() names the operation, status and code only: never the body, the
// password or a token.
//
// # Endpoints
//
// [Client.Me] reads GET /users/me ([Config.MePath]), the cheapest
// authenticated call FastAPI-Users has; [Client.CheckAuth] uses it to check
// that the credentials work. Anything else the back office serves is
// reached with [Client.NewRequest] and [Client.Do], or [Client.HTTPClient],
// which authenticate, retry and throttle every request.
//
// # Assumptions
//
// Inferred, not documented by FastAPI-Users for this use; each is
// configurable and documented here:
//
//   - The login path is FastAPI-Users' default /auth/jwt/login; deployments
//     that mount the router elsewhere set [Config.LoginPath].
//   - GET /users/me is mounted (FastAPI-Users' users router) and answers the
//     BaseUser schema {id, email, is_active, is_superuser, is_verified};
//     the id may be a UUID, an ObjectId or a number. Back offices without it
//     set [Config.MePath] to another cheap authenticated GET.
//   - Without "exp" in the JWT, the token is valid until a 401, unless
//     [Config.TokenLifetime] documents a lifetime.
//   - No rate limit is documented: the client does not throttle; a 429 is
//     honoured through Retry-After, or a 30 s pause without it.
//
// The package genericjwttest is a fake back office for tests.
package genericjwt
