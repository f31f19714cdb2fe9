// Package providertest is the fake kit the unikyc provider fakes
// (compliancelytest, genericjwttest, icomplytest, idenfytest,
// kyconnecttest) are built from, and [Knobs], the one set of knobs and
// counters every one of them has. It is for tests: production code must
// not import it, and nothing in it belongs in a service binary.
//
// A test reaches the knobs through its fake's Server, whose methods list
// and document each of them (go doc compliancelytest Server.RateLimitNext):
//
//	faults:   FailNext, AnswerNext, RateLimitNext, RateLimitNextNamed,
//	          UnavailableNext, DelayNext, Delay, ClearFaults
//	counters: Requests, Calls, Faults, Rejected, RateLimited, Logins,
//	          LoginAttempts, Refreshes, Count, Hits, MaxRequestsIn, ResetCounts
//	tokens:   ExpireTokens, ExpireAccessTokens, ExpireRefreshTokens,
//	          RevokeTokens, RevokeAccessTokens, RevokeRefreshTokens,
//	          LiveTokens, LiveRefreshTokens
//	wiring:   Clock, Transport, Client
//
// [NewClock] returns the fake clock for such a test: a call left waiting
// on it outside clk.Drive fails the test within seconds, saying so,
// instead of hanging until go test's timeout.
//
// Code that works with any fake takes the Server's embedded Knobs
// (srv.Knobs). A fake of a provider of your own can be built the same way:
// a [Kit] serves a handler behind the fault layer ([Kit.Start]), issues
// and checks JWTs on the fake's clock ([Tokens]) and counts what it saw
// ([Counts]); [NewKnobs] gives it the shared knobs.
//
// Facts the kit relies on:
//   - tokens are HS256 JWTs with "sub", "typ", "iat", "jti" and, when
//     they have a lifetime, "exp" on the kit's clock, so a client that
//     reads "exp" sees the lifetime the fake enforces;
//   - an injected fault answers before any of the fake's own rules and is
//     counted by Requests, Calls, Faults and Hits, never as a login or a
//     rejection, as a proxy or load balancer in front of a provider would;
//   - [Kit.Transport] serves in memory, in the caller's goroutine, so
//     client and fake can share a testing/synctest bubble.
package providertest
