package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
)

// webhookKeyVar holds the iDenfy webhook signing key when --key is not given.
const webhookKeyVar = "UNIKYC_IDENFY_WEBHOOK_KEY"

func webhook(e *env, args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(e.stdout, "Usage: unikyc webhook verify --provider idenfy --signature SIG [--key KEY] < body\n\nRun 'unikyc webhook verify --help' for the flags.")
			return exitOK
		}
		fmt.Fprintln(e.stderr, "unikyc webhook: want a subcommand: verify")
		return exitUsage
	}
	fs := newFlags(e, "webhook verify", "--provider idenfy --signature SIG [--key KEY] < body",
		"Reads a webhook body on stdin, byte for byte as received, and checks its signature in constant time.\n"+
			"The key comes from --key or, better (command lines are visible to other users), "+webhookKeyVar+".\n"+
			"On success it prints what the webhook is about, never the personal data in it.\n"+
			"Exit 0: signature valid; 1: signature missing or wrong; 2: usage (no key, unknown provider).")
	provider := fs.String("provider", "", "who sent the webhook (only idenfy documents signed webhooks)")
	signature := fs.String("signature", "", "the "+idenfy.SignatureHeader+" header value")
	key := fs.String("key", "", "the webhook signing key (default $"+webhookKeyVar+")")
	pos, done, code := parse(e, fs, args[1:])
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		// Not echoed: a stray argument here is often the key, slid out of
		// its flag by a missing value (--signature --key KEY).
		return usageError(e, fs, "%d unexpected argument(s): the body is read from stdin", len(pos))
	case *provider != idenfy.Name:
		return usageError(e, fs, "--provider must be idenfy (the only provider that signs webhooks)")
	}
	k := auth.Secret(*key)
	if k == "" {
		k = auth.Secret(e.getenv(webhookKeyVar))
	}
	if k == "" {
		return usageError(e, fs, "no key: set --key or %s", webhookKeyVar)
	}
	body, err := io.ReadAll(io.LimitReader(e.stdin, idenfy.MaxWebhookBody+1))
	switch {
	case err != nil:
		return fail(e, "webhook verify", err)
	case len(body) > idenfy.MaxWebhookBody:
		return fail(e, "webhook verify", fmt.Errorf("body larger than %d bytes", idenfy.MaxWebhookBody))
	}
	if err := idenfy.VerifyWebhook(body, *signature, k); err != nil {
		if errors.Is(err, idenfy.ErrBadSignature) {
			code := fail(e, "webhook verify", err)
			trailingNewlineHint(e, body, *signature, k)
			return code
		}
		return usageError(e, fs, "%v", err)
	}
	fmt.Fprintln(e.stdout, "signature valid")
	var cb idenfy.KYCCallback
	if json.Unmarshal(body, &cb) == nil && cb.ScanRef != "" {
		fmt.Fprintf(e.stdout, "scanRef: %s\nstatus: %s\nfinal: %t\n", printable(cb.ScanRef), printable(string(cb.Status.Overall)), cb.Final)
	}
	return exitOK
}

// trailingNewlineHint explains the most common cause of a bad signature
// when the body ends with a line break: the signature covers the bytes as
// sent, and a shell (echo, a heredoc) or an editor adds a newline.
func trailingNewlineHint(e *env, body []byte, signature string, key auth.Secret) {
	trimmed := bytes.TrimRight(body, "\r\n")
	if len(trimmed) == len(body) {
		return
	}
	if idenfy.VerifyWebhook(trimmed, signature, key) == nil {
		fmt.Fprintln(e.stderr, "hint: the signature matches the body without its trailing line break: "+
			"pass the body byte for byte (curl --data-binary @file, printf, not echo)")
		return
	}
	fmt.Fprintln(e.stderr, "hint: the body ends with a line break; the signature covers the bytes exactly as "+
		"received, so a newline added by echo, a heredoc or an editor breaks it")
}
