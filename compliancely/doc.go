// Package compliancely is the unikyc client for Compliancely
// (https://compliancely.com), a TIN-matching and business-verification
// service, on its API v2 with JWT authentication. Its typed calls:
//
//   - TIN Match, Compliancely's core product: [Client.SubmitTINMatch] and
//     [Client.TINMatch] (the result by id: status Pending, TIN Matched,
//     Did Not Match or In Review, and the IRS code);
//   - bulk TIN upload: [Client.UploadTINFile] (multipart; at most 6 MB and
//     100,000 rows, priority 1–10, all checked before sending) and
//     [Client.BulkUploadStatus];
//   - the tax-exempt check, [Client.CreateTaxExempt] (POST [TaxExemptPath]),
//     the one business endpoint documented for v2;
//   - results by webhook: [Webhooks] verifies and decodes them for the
//     shared receiver, webhook.NewReceiver.
//
// Any other call can be sent with [Client.NewRequest] and [Client.Do], or
// [Client.HTTPClient], with the same authentication.
//
// # Webhooks
//
// Results are posted to the webhook URLs given with a request (C, the
// webhooks page). Each carries Compliancely-Signature, an HMAC-SHA256 of
// the raw body under the account's webhook secret (C); whether the value
// is hex or base64 is not stated, so both are accepted, with or without a
// "sha256=" prefix (I). [NewWebhooks] takes several secrets (a rotation)
// and refuses a blank one. A delivery answered other than 2xx is retried
// for another 2 attempts (C): the receiver answers 500 when your handler
// fails, so the retry runs it again. A TIN match webhook carries the
// submission record, as POST and GET answer it (C, TIN Match sandbox
// page); the tax-exempt webhook body is not documented (I: the tax-exempt
// record, bare or in the v2 envelope, is read).
//
//	hooks, err := compliancely.NewWebhooks(secret)
//	recv, err := webhook.NewReceiver(hooks, handle) // handle gets *TINMatchEvent, *TaxExemptEvent, *BulkUploadEvent
//	mux.Handle("POST /hooks/compliancely", recv)
//
// # Authentication
//
// The client logs in once with the account's username and password
// (POST [DefaultLoginPath], JSON {"username","password"}) and receives an
// access token (1 hour) and a refresh token (24 hours). From then on it
// rotates: 10 to 15 minutes before the access token's hour is up, one
// background refresh (POST [DefaultRefreshPath], {"refresh"}) replaces both
// tokens, so the refresh token is renewed with every access token — far
// more often than the 12 hours the provider recommends — and the client
// logs in again only when the refresh token is gone. Tokens are sent as
// "Authorization: Bearer <access>". Basic authentication and API v1 were
// retired on 31 May 2026 and are not offered.
//
// The failure rules follow the provider's "Handling Failures" guide:
//
//   - an API call answered 401 drops the access token, keeps the refresh
//     token, refreshes once and replays the call once; a second 401 is
//     returned (errors.Is(err, providers.ErrUnauthorized));
//   - a refresh refused with a 4xx other than 429 discards both tokens and
//     logs in again. The guide says "a 4XX error, other than 401"; a 401 on
//     refresh is what an expired or rotated refresh token gets, and the
//     guide's own "if both expire, call /token/create again" asks for a new
//     login then, so a 401 logs in again too;
//   - a login refused for invalid credentials (400/401 whose body says so)
//     matches providers.ErrInvalidCredentials and is final: no further
//     login is attempted by this client;
//   - a failed login surfaces to the caller; nothing retries it in the
//     background, and no request is retried forever (see
//     providers.RetryPolicy).
//
// # Throttle
//
// Compliancely allows 10 requests a minute, logins and refreshes included,
// and answers 429 for 10 minutes past that. The limit is documented on the
// authentication pages only (C); the business references state none, so
// applying it to every call is a safe default (I). The client keeps to
// [DefaultBudget]: at most 10 requests in any minute (plus a margin),
// counted as the server counts them; a burst may use the unused part, and
// once requests queue the rest of the window is shared out evenly between
// them. After a 429 every
// goroutine of the client waits for Retry-After, or for [Penalty] (10
// minutes) when the answer has none; a caller whose context deadline is
// shorter than the pause gets a *providers.RateLimitError at once. In
// fleet mode, share the limiter and the cool-down (providers.WithLimiter,
// providers.WithCoolDown) so the whole fleet stays under the limit.
//
// Every default is overridable: providers.WithLimiter,
// providers.WithRetryPolicy (Penalty) and providers.WithTokenCacheOptions
// (tokencache.WithSoftWindow, WithJitter) replace the values above.
//
// Every path ends in "/", as the endpoint reference spells them: Django
// routes only that form, and a POST without the slash is a 404.
//
// # Errors
//
// Errors follow Django REST Framework: {"detail": "…", "code": "…"}, or
// {"field": ["message", …]} for validation; v2 business calls answer
// {"errors":[{"code","message"}],"data":null,"success":false}, each code
// naming a field. The detail or first message becomes
// providers.Error.Message, the code Error.Code, the fields Error.Fields.
// The code "token_not_valid" matches providers.ErrUnauthorized; the credit
// error ({"code":"credit_message","message"} or {"detail":"Credit limit
// reached! …"}) matches [ErrCreditLimit].
//
// # Assumptions
//
// Inferred (I), not documented by Compliancely, and configurable where
// they could be wrong:
//
//   - the login path: the reference names /api/v2/token/, the guide's
//     prose /api/v2/token/create, which the client spells with its slash
//     ([AltLoginPath], [Config.LoginPath]);
//   - the refresh answer: the guide names new_access_token and
//     new_refresh_token, the endpoint reference access and refresh; both
//     decode, with or without *_expiry_seconds. Without them, the lifetime
//     is read from the JWT "exp" claim, else the documented 1 h / 24 h;
//   - the validate call's body {"token": "<access>"}, as Simple JWT's
//     verify view takes it. Its stock answer is 200 {} for a valid token
//     and 401 token_not_valid otherwise; richer answers ({"valid",
//     "status", "token_type", "remaining_seconds", "expires_at"}) decode
//     too ([Client.ValidateToken]);
//   - the tax-exempt rules: a TIN is 9 digits (the reference says "a valid
//     TIN/EIN"); the answer's HTTP status (201, as DRF creates) and the
//     credit error's status are not documented;
//   - the TIN match paths: only API v1 documents them
//     ([DefaultSubmissionsPath], [DefaultBulkUploadPath]), and v1 was
//     scheduled for retirement on 31 May 2026 with Basic authentication.
//     The client sends them with the v2 Bearer token. Check with
//     Compliancely whether these routes accept it, or where TIN Match lives
//     in v2, and set [Config.SubmissionsPath] and [Config.BulkUploadPath]
//     accordingly. The bulk path is read from the reference's page name
//     (api_v1_bulk_upload_tin_create), which does not print it;
//   - "6MB" is read as 6,000,000 bytes, the stricter reading; the answer
//     statuses of TIN match and bulk calls (201 assumed, as DRF creates)
//     and the bulk statuses' values are not documented;
//   - the webhook signature's encoding, the tax-exempt webhook body and the
//     answer deadline of a delivery (the receiver's 10 s default applies).
//
// Documented, not assumed: "Authorization: Bearer <access>" (the v2
// reference's examples; [Config.AuthScheme] changes it), the envelope
// {success_message, data, success} and its errors, the TIN match record
// ("id", "name", "tin", "status", "irs_code" 0–8 from the IRS and -1 and
// 10 from Compliancely, "irs_reason", "irs_service_status", the dates), its
// rules (TIN 9 digits; name at most 40 characters, no special characters
// but & and -), the bulk rules (a "file" of .csv, .xlsx or .xls named with
// letters, digits, - and _; "priority" 1–10, a "-priority-N" file-name
// suffix taking precedence; at most 6 MB and 1 lakh rows) and the bulk
// record's keys.
//
// Package compliancelytest is a fake Compliancely server for tests.
package compliancely
