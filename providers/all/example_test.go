package all_test

import (
	"fmt"

	"github.com/unikyc/unikyc/providers"
	_ "github.com/unikyc/unikyc/providers/all"
)

// Importing the package registers all five providers.
func Example() {
	fmt.Println(providers.Drivers())
	// Output: [compliancely genericjwt icomply idenfy kyconnect]
}

// Every provider documents the UNIKYC_<PROVIDER>_* variables FromEnv reads.
func Example_variables() {
	vars, _ := providers.EnvVars("idenfy")
	for _, v := range vars {
		fmt.Println(providers.EnvName("idenfy", v.Name), v.Secret)
	}
	// Output:
	// UNIKYC_IDENFY_BASE_URL false
	// UNIKYC_IDENFY_API_KEY true
	// UNIKYC_IDENFY_API_SECRET true
}
