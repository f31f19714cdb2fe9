package kyconnecttest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The fake's Postman collection, as GET /api/v1/health/postman-collection
// serves it: format v2.1, 96 requests in 15 categories like the real one
// (C: the developer page's counts and category names). The documented
// routes are KYConnect's (auth/login, auth/refresh, auth/me,
// auth/forgot-password, onboarding/individual, health/postman-collection);
// the others are plausible stand-ins (I), named as openapi-to-postmanv2
// names what a NestJS controller declares. The collection's auth is the
// JWT ({{KYCONNECT_JWT}}); public routes say "noauth"; the Verification
// folder uses the API key ({{KYCONNECT_API_KEY}}), to show inheritance.
var categories = []struct {
	name  string
	auth  string // "" inherits the collection's
	items []string
}{
	{"Authentication", "", []string{
		"POST auth/login Login public", "POST auth/refresh Refresh tokens public", "GET auth/me Current user",
		"POST auth/logout Logout", "POST auth/forgot-password Forgot password public",
		"POST auth/reset-password Reset password public", "POST auth/verify-email Verify email public",
		"POST auth/mfa/setup Set up MFA", "POST auth/mfa/verify Verify MFA", "POST auth/mfa/disable Disable MFA",
		"POST auth/change-password Change password", "GET auth/sessions List sessions",
		"POST auth/sessions/revoke-all Revoke all sessions"}},
	{"API Keys", "", []string{"GET api-keys List API keys", "POST api-keys Create API key",
		"GET api-keys/:id Get API key", "PATCH api-keys/:id Update API key", "DELETE api-keys/:id Revoke API key"}},
	{"User Management", "", []string{"GET users List users", "POST users/invite Invite user", "GET users/:id Get user",
		"PATCH users/:id Update user", "PATCH users/:id/role Change role", "DELETE users/:id Remove user",
		"POST users/invitations/:token/accept Accept invitation public"}},
	{"Onboarding", "", []string{"POST onboarding/individual Onboard individual",
		"POST onboarding/business Onboard business", "GET onboarding/cases List cases", "GET onboarding/cases/:id Get case",
		"PATCH onboarding/cases/:id Update case", "POST onboarding/cases/:id/submit Submit case",
		"POST onboarding/cases/:id/approve Approve case", "POST onboarding/cases/:id/reject Reject case",
		"POST onboarding/cases/:id/documents Upload case document"}},
	{"Verification", "apikey", []string{"POST verification/sessions Start KYC session",
		"GET verification/sessions List sessions", "GET verification/sessions/:id Get session",
		"GET verification/sessions/:id/result Get result", "GET verification/sessions/:id/documents Get documents",
		"POST verification/sessions/:id/cancel Cancel session", "GET verification/providers List identity providers",
		"POST verification/webhooks/:provider Provider callback public"}},
	{"AML Screening", "", []string{"POST aml/screenings Screen", "POST aml/screenings/batch Screen in batch",
		"GET aml/screenings List screenings", "GET aml/screenings/:id Get screening",
		"GET aml/screenings/:id/matches List matches", "PATCH aml/matches/:id Resolve match",
		"POST aml/monitoring Start monitoring", "DELETE aml/monitoring/:id Stop monitoring"}},
	{"Audit Trail", "", []string{"GET audit/logs List audit logs", "GET audit/logs/:id Get audit log",
		"GET audit/verify-chain Verify hash chain", "GET audit/export Export audit logs",
		"GET audit/entities/:type/:id Entity history"}},
	{"Billing", "", []string{"GET billing/subscription Get subscription", "POST billing/subscription Subscribe",
		"PATCH billing/subscription Change plan", "DELETE billing/subscription Cancel subscription",
		"GET billing/invoices List invoices", "GET billing/invoices/:id Get invoice", "GET billing/usage Usage"}},
	{"Wallet", "", []string{"GET wallet/balance Balance", "GET wallet/ledger Ledger", "POST wallet/top-up Top up",
		"GET wallet/payment-methods List payment methods", "POST wallet/payment-methods Add payment method",
		"DELETE wallet/payment-methods/:id Remove payment method"}},
	{"Firms", "", []string{"POST firms/register Register firm public", "GET firms/me Get firm", "PATCH firms/me Update firm",
		"GET firms/me/settings Get settings", "PATCH firms/me/settings Update settings", "GET firms/me/members List members"}},
	{"DocuSign", "", []string{"POST docusign/envelopes Send envelope", "GET docusign/envelopes/:id Get envelope",
		"GET docusign/envelopes/:id/documents Get signed documents", "POST docusign/envelopes/:id/void Void envelope",
		"POST docusign/webhook DocuSign Connect callback public"}},
	{"Metric Pricing", "", []string{"GET pricing/metrics List prices", "GET pricing/metrics/:feature Get price",
		"POST pricing/metrics Create price", "PATCH pricing/metrics/:id Update price", "GET pricing/estimate Estimate cost"}},
	{"Storage", "", []string{"GET storage/assets List assets", "GET storage/assets/:id/url Pre-signed URL",
		"POST storage/uploads Upload", "DELETE storage/assets/:id Delete asset"}},
	{"Demo Bookings", "", []string{"POST demo-bookings Book a demo public", "GET demo-bookings List bookings",
		"GET demo-bookings/:id Get booking", "PATCH demo-bookings/:id Update booking"}},
	{"Health", "", []string{"GET health Liveness public", "GET health/ready Readiness public",
		"GET health/live Live public", "GET health/postman-collection Postman collection public"}},
}

type object = map[string]any

// collection builds the collection, as openapi-to-postmanv2 would from
// the OpenAPI document.
func collection() []byte {
	var folders []object
	for _, c := range categories {
		var items []object
		for _, line := range c.items {
			method, rest, _ := strings.Cut(line, " ")
			path, name, _ := strings.Cut(rest, " ")
			public := strings.HasSuffix(name, " public")
			name = strings.TrimSuffix(name, " public")
			segs := append([]string{"api", "v1"}, strings.Split(path, "/")...)
			url := object{"raw": "{{KYCONNECT_BASE_URL}}/" + strings.Join(segs, "/"),
				"host": []string{"{{KYCONNECT_BASE_URL}}"}, "path": segs}
			var vars []object
			for _, s := range segs {
				if strings.HasPrefix(s, ":") {
					vars = append(vars, object{"key": s[1:], "value": "<string>", "description": "(Required) "})
				}
			}
			if vars != nil {
				url["variable"] = vars
			}
			req := object{"method": method, "header": []object{{"key": "Accept", "value": "application/json"}}, "url": url}
			if method == http.MethodPost || method == http.MethodPatch {
				req["body"] = object{"mode": "raw", "raw": "{}", "options": object{"raw": object{"language": "json"}}}
				req["header"] = append(req["header"].([]object), object{"key": "Content-Type", "value": "application/json"})
			}
			if public {
				req["auth"] = object{"type": "noauth"}
			}
			items = append(items, object{"name": name, "request": req, "response": []object{}})
		}
		f := object{"name": c.name, "item": items}
		if c.auth == "apikey" {
			f["auth"] = object{"type": "apikey", "apikey": []object{{"key": "key", "value": "X-API-Key", "type": "string"},
				{"key": "value", "value": "{{KYCONNECT_API_KEY}}", "type": "string"}, {"key": "in", "value": "header", "type": "string"}}}
		}
		folders = append(folders, f)
	}
	b, _ := json.Marshal(object{
		"info": object{"_postman_id": "5b1a2c3d-0000-4000-8000-00000000c011", "name": "KYConnect API",
			"description": "Generated from the live OpenAPI spec",
			"schema":      "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": folders,
		"auth": object{"type": "bearer", "bearer": []object{{"key": "token", "value": "{{KYCONNECT_JWT}}", "type": "string"}}},
		"variable": []object{{"key": "KYCONNECT_BASE_URL", "value": "http://localhost:3000", "type": "string"},
			{"key": "KYCONNECT_JWT", "value": "", "type": "string"}, {"key": "KYCONNECT_API_KEY", "value": "", "type": "string"}},
	})
	return b
}

func (s *Server) postmanCollection(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kyconnect_postman_collection.json"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(collection())
}
