// Package icomply is a client for the iComplyKYC API
// (https://docs.icomplyis.com/api-docs), built on the shared unikyc
// pipeline: credentials, retry, throttle.
//
// # Authentication
//
// iComply offers two ways in; a [Config] sets exactly one of them.
//
//   - Username and password: [New] logs in with POST /api/gettoken, a
//     multipart/form-data body with the fields Username and Password, and
//     gets {"token":"<jwt>"}: a JWT valid for 20 minutes, sent as
//     "Authorization: Bearer". There is no refresh token, so the client's
//     token cache logs in again ahead of expiry (default soft window: the
//     larger of 60 s and 10 % of the lifetime, plus up to 25 % jitter; for
//     a 20-minute token that is 2 to 2.5 minutes before expiry). Every
//     goroutine shares one token; a 401 drops it and the request is sent once
//     more with a new one. A 401 at login is final: it matches
//     [providers.ErrInvalidCredentials] and the client stops logging in.
//   - API key: a long-lived key for server-to-server use. It never expires
//     and needs no login; it is sent on every request in the header
//     [Config.APIKeyHeader]. A 401 then means the key was refused and
//     matches both [providers.ErrUnauthorized] and
//     [providers.ErrInvalidCredentials].
//
// [Client.CheckToken] asks GET /api/tokenvalid whether the provider accepts
// the client's current token.
//
// # The v2 API
//
// Every v2 answer is the envelope {"code","status","message","data",
// "errors"}. The client decodes it once, generically, and returns data. It
// trusts the HTTP status over "code" (iComply answers HTTP 200 with
// "code":201 on creation) and reads "message" leniently: one documented 400
// spells it "messsage". Error answers go through the same reader, so a
// [*providers.Error] carries the provider's message in Message (never in
// Error(), which holds no response body). Typed calls:
//
//   - entities: [Client.ListEntities], and [Client.Entities], an
//     iter.Seq2 over every page (limit ≤ 100, start);
//   - natural persons: [Client.AddNaturalPerson] (the documented way to
//     start a verification: the person and the KYC services to request,
//     RequestIDV, RequestDoc, RequestBio, RequestAML, plus EDD templates),
//     [Client.GetNaturalPerson],
//     [Client.SearchNaturalPersons] (externalID, email, phone, firstName,
//     lastName);
//   - legal entities (KYB): [Client.AddLegalEntity], [Client.GetLegalEntity],
//     [Client.SearchLegalEntities] (externalID, duns, glei, companyName,
//     registrationNumber, email, phone), [Client.RequestLegalEntityUpdate]
//     (GET …/legal-entities/{id}/request-client-update: iComply e-mails the
//     primary contact);
//   - AML: [Client.CreateAMLSearch], [Client.GetAMLSearch].
//
// Anything else can be sent with [Client.NewRequest] and [Client.Do], or
// [Client.HTTPClient], with the same authentication.
//
// # Webhooks
//
// iComply reports a verification's progress by webhook (C, the Webhooks
// page): NaturalPersonPending (the person filled in the portal's first two
// screens), NaturalPersonManuallyApproved, NaturalPersonAutoApproved, and
// events for supporting documents begun and completed. Each payload is
// {"id","event","eventType","data":{…},"creationTimeUtc"}. [Webhooks] is
// their [webhook.Provider] for the shared receiver; [NewWebhooks] refuses a
// configuration without a secret or with a blank one.
//
// To "verify the authenticity of a webhook", the documentation says, "you
// must verify the webhook secret that is part of the payload" — a value
// like whs_ef0dbc12345c418ab4a1cc4c888dea02 your account representative
// sends (C). It is the secret itself, not a signature over the body: a
// payload that leaks (a log, a proxy) lets anyone forge the next one, so
// receive over HTTPS and keep bodies out of logs. [Webhooks.Verify]
// compares the payload's secret with each configured one in constant time
// (SHA-256 digests, crypto/subtle) and keeps only digests; the events never
// hold it.
//
// Parameters are checked before sending: a bad one returns a
// [*providers.ValidationError] naming the field, and nothing is sent.
//
// # Assumptions
//
// Inferred (I), not published by iComply:
//
//   - The header that carries the API key is not published. The default is
//     [DefaultAPIKeyHeader] ("X-API-Key"); set Config.APIKeyHeader if your
//     account manager names another.
//   - Password is optional at login, as the documentation marks only
//     Username required; an empty one is sent as an empty field.
//   - No rate limit is published, so the client sets no limiter of its own
//     (pass providers.WithLimiter to add one) and a 429 without Retry-After
//     pauses the client for the core default of 30 s.
//   - CheckToken is for username/password mode: /api/tokenvalid checks a
//     JWT, so with an API key it returns [ErrNoToken] without sending.
//   - A 400 or 415 answer matches [providers.ErrValidation].
//   - Entity IDs are UUIDs and AML search IDs are numbers: IDs passed to
//     the typed calls may hold only letters, digits, '-' and '_', so an ID
//     can never change the request path. AML IDs come back as a number in
//     some answers and a string in others; [ID] accepts both.
//   - KYC status is an open set ([KYCStatus]): values unknown to this
//     package are kept as they are.
//   - The payload field that carries the webhook secret: the samples and
//     the verification code are not published in a readable form. The
//     default is a top-level "secret" ([DefaultSecretField]); set
//     WebhookConfig.SecretField if yours differs. A field nested in "data"
//     is not read.
//   - The supporting-document webhooks' names: recognised by
//     "SupportingDocument" in "event" (or "supporting-document" in
//     "eventType") and decoded as [SupportingDocumentEvent] with "data" kept
//     raw; any other unknown event is an [OtherEvent]. No delivery deadline
//     or retry policy is documented: [Webhooks.Delivery] leaves the deadline
//     to the receiver's default and says retries are unknown (-1). The
//     dedupe key is "event" and "id" together, because the two approval
//     samples share id "253".
//   - Add Natural Person's body: its parts are documented (C, the Data
//     Structures page: KYCMetaDataStructure, whose ExternalID the client
//     sets and whose CreatedDateTime it may not; PersonalInformationStructure;
//     KYCServicesStructure, the bool flags RequestIDV, RequestDoc,
//     RequestBio, RequestAML and the list RequestEDD of Enhanced Due
//     Diligence templates), the sample body is not readable (I): the
//     client sends {"kycMetaData":{"externalID","tags"},
//     "personalInformation":{…}, "kycServices":{"RequestIDV":true, …}},
//     every flag true or false, camelCase keys as the answers use (ASP.NET
//     Core reads them regardless of case). Add Legal Entity sends
//     {"kycMetaData":{…}, "corporateInformation":{…}} the same way (I). The
//     answer is the entity, in the GET's shape. FirstName and LastName are
//     required, and Email when services or EDD templates are requested (the
//     portal e-mails the person, per the "Adding a Natural Person" guide);
//     CompanyName is required.
//   - The searches' answer is not published: a list of entity IDs, or of
//     objects naming one (entityID, entityId, id or kycMetaData.entityID),
//     or one such object, all decode into [Match]. A search needs one
//     parameter at least; a 404 stays an error.
//   - Add answers HTTP 200 with "code": 201, as the AML creation does.
//
// Where iComply's documentation contradicts itself the client does not
// guess silently:
//
//   - The natural-person path is /api/v2/entities/natural-persons/{id} in
//     the documentation's heading and /api/v2/natural-persons/{id} in its
//     sample. The default is the heading's ([NaturalPersonPath]); set
//     Config.NaturalPersonPath to [AltNaturalPersonPath] for the other.
//     Adding and searching use the same setting, without the trailing
//     slash (the search is documented under both spellings too).
//   - Legal entities disagree the same way: /api/v2/entities/legal-entities/{id}
//     in the heading, /api/v2/legal-entities/{id} in the sample. They are
//     handled the same way: [LegalEntityPath] by default,
//     Config.LegalEntityPath = [AltLegalEntityPath] for the other, used by
//     every legal-entity call.
//   - GET /api/v2/aml/{id} is described both as taking an entity ID and as
//     taking the ID of an AML search. [Client.GetAMLSearch] sends whatever
//     ID it is given, so either reading works; its doc names the search ID
//     returned by [Client.CreateAMLSearch], as the sample shows.
//
// The fake server in package icomplytest implements all of the above for
// tests, on an injectable clock.
package icomply
