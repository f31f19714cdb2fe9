package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

func envCmd(e *env, args []string) int {
	fs := newFlags(e, "env", "[provider]",
		"Lists the UNIKYC_<PROVIDER>_* variables each provider reads and whether each is set.\n"+
			"Values are never shown.")
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	names := providers.Drivers()
	switch len(pos) {
	case 0:
	case 1:
		names = pos
	default:
		return usageError(e, fs, "want at most one provider")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "variable\tset\tsecret\twhat")
	for _, p := range names {
		vars, err := providers.EnvVars(p)
		if err != nil {
			return fail(e, "env", err)
		}
		for _, v := range vars {
			name := providers.EnvName(p, v.Name)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, yes(e.getenv(name) != ""), yes(v.Secret), v.Usage)
		}
		for _, v := range toolVars[p] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.name, yes(e.getenv(v.name) != ""), yes(v.secret), v.usage)
		}
	}
	if len(pos) == 0 {
		for _, v := range toolVars[""] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.name, yes(e.getenv(v.name) != ""), yes(v.secret), v.usage)
		}
	}
	_ = tw.Flush()
	return exitOK
}

// toolVars are the variables this tool reads besides the drivers', by
// provider ("" for those of no provider).
var toolVars = map[string][]struct {
	name, usage string
	secret      bool
}{
	"idenfy": {{webhookKeyVar, "webhook signing key, read by unikyc webhook verify only", true}},
	"": {
		{filestore.EnvPath, "token file of check and token (default <user cache dir>/unikyc/tokens)", false},
		{filestore.EnvKey, "32-byte key (64 hex digits) of the token file (default: one kept in <file>.key)", true},
	},
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
