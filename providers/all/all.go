// Package all registers every unikyc provider with package providers, for
// programs that choose the provider by configuration:
//
//	import _ "github.com/unikyc/unikyc/providers/all"
//
//	c, err := providers.FromEnv(os.Getenv("KYC_PROVIDER")) // "idenfy", "kyconnect", …
//
// A program that uses one provider imports that provider's package
// instead (its import registers it too), and gets only its code.
package all

import (
	_ "github.com/unikyc/unikyc/compliancely" // registers "compliancely"
	_ "github.com/unikyc/unikyc/genericjwt"   // registers "genericjwt"
	_ "github.com/unikyc/unikyc/icomply"      // registers "icomply"
	_ "github.com/unikyc/unikyc/idenfy"       // registers "idenfy"
	_ "github.com/unikyc/unikyc/kyconnect"    // registers "kyconnect"
)
