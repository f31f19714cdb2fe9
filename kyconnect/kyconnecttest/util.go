package kyconnecttest

import (
	"encoding/json"
	"slices"
)

func jsonString(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
