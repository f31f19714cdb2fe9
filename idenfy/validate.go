package idenfy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/unikyc/unikyc/providers"
)

// Validation reads fields in order and stops at the first violation: the
// error names that field and the rule, never the value (it may be personal).

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRequired rejects an empty s.
func checkRequired(field, s string) error {
	if s == "" {
		return providers.Invalid(field, "is required")
	}
	return nil
}

// checkLen checks that s, when set, has min to max characters (max 0: no limit).
func checkLen(field, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return providers.Invalid(field, "must be valid UTF-8")
	case n < minLen:
		return providers.Invalid(field, fmt.Sprintf("must be at least %d characters", minLen))
	case maxLen > 0 && n > maxLen:
		return providers.Invalid(field, fmt.Sprintf("must be at most %d characters", maxLen))
	}
	return nil
}

// checkOptionalLen is checkLen for a field that is not sent when empty.
func checkOptionalLen(field, s string, maxLen int) error {
	if s == "" {
		return nil
	}
	return checkLen(field, s, 1, maxLen)
}

// checkRange checks minV <= v <= maxV.
func checkRange(field string, v, minV, maxV int) error {
	if v < minV || v > maxV {
		return providers.Invalid(field, fmt.Sprintf("must be between %d and %d", minV, maxV))
	}
	return nil
}

// checkOneOf checks that s, when set, is one of allowed.
func checkOneOf[S ~string](field string, s S, allowed []S) error {
	if s == "" || slices.Contains(allowed, s) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return providers.Invalid(field, "must be one of "+strings.Join(names, ", "))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkUUID checks that s, when set, is a UUID in its 8-4-4-4-12 form.
func checkUUID(field, s string) error {
	if s == "" || uuidPattern.MatchString(s) {
		return nil
	}
	return providers.Invalid(field, "must be a UUID (8-4-4-4-12 hex digits)")
}

// checkList checks a list of tags or scan refs: at most maxItems (0: no
// limit), each minLen to maxLen characters with no comma (iDenfy joins
// them with commas). An item's error names it: "tags[2]".
func checkList(field string, items []string, maxItems, minLen, maxLen int) error {
	if maxItems > 0 && len(items) > maxItems {
		return providers.Invalid(field, fmt.Sprintf("must have at most %d items", maxItems))
	}
	for i, it := range items {
		name := field + "[" + strconv.Itoa(i) + "]"
		if err := checkLen(name, it, minLen, maxLen); err != nil {
			return err
		}
		if strings.Contains(it, ",") {
			return providers.Invalid(name, "must not contain a comma")
		}
	}
	return nil
}
