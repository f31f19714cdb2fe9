package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/unikyc/unikyc/providers"
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
	}
	_ = tw.Flush()
	return exitOK
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
