// Package ratelimit holds the client side of a provider's rate limits:
// the documented [Budget], the [Limiter] that admits requests under it
// ([WindowLimiter], the default; [RateLimiter], an even pace), the
// [CoolDown] a 429 starts, and the one priority wait [Queue] every limiter
// (the fleet's too) keeps its waiters in.
//
// It is a leaf: it knows nothing of HTTP answers, providers or tokens, so
// a limiter can be written (or shared by a fleet, see redisfleet) without
// importing the pipeline. The pipeline (package providers) applies a
// Budget to each request it counts, waits on its Limiter, and tells a
// [Pacer] when the provider asked for a pause.
//
// Facts it is built on:
//   - "at most N requests in any window W": Django REST Framework's
//     throttles keep the timestamps of the last window and still count a
//     request exactly one window old (confirmed, DRF's SimpleRateThrottle),
//     so a Budget counts over Window plus a Margin;
//   - a login or refresh waits ahead of API calls (inferred: the calls
//     queued behind it need the token it brings), and an API call sent
//     again (a replay after a 401, a retry) ahead of the calls that came
//     after it ([PriorityAgain]; inferred: it waited its turn once, and
//     after a revocation the replayed calls of 16 callers waited a whole
//     second queue, 19.8 s against 20 s deadlines, against NestJS);
//   - a burst may use an idle budget, shared between the calls under way
//     (a lone caller may spend all of it at once); past its share the rest is
//     spread evenly (inferred: a burst of the whole budget leaves a queue
//     nothing for a Span — 16 callers on 100 a minute with 20 s deadlines
//     all failed — while spread evenly each waits about Span/Limit per
//     request ahead of it);
//   - a login or refresh keeps headroom in the budget (inferred: the calls
//     queued behind it need its token, and a token expires if its refresh
//     waits for a window API calls filled);
//   - a slot's time is its send time: a request held back after it was
//     admitted gives its slot back ([Admitter]), so a pause's followers
//     keep the even pace instead of leaving together when the probe is
//     answered (NestJS's throttler and DRF count arrivals);
//   - a wait that cannot end before the caller's deadline is refused at
//     once with a [*WaitError], which matches context.DeadlineExceeded and
//     providers.ErrRateLimited, rather than parked until the deadline.
package ratelimit
