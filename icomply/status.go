package icomply

import (
	"github.com/unikyc/unikyc/providers"
)

// KYCStatus is an entity's KYC status. The set is open: iComply documents
// the constants below and answers "Approved" in samples; any other value
// is kept as received.
type KYCStatus string

// Known KYC statuses.
const (
	KYCStatusNew       KYCStatus = "New"
	KYCStatusPending   KYCStatus = "Pending"
	KYCStatusReview    KYCStatus = "Review"
	KYCStatusEscalated KYCStatus = "Escalated"
	KYCStatusAccepted  KYCStatus = "Accepted"
	KYCStatusRejected  KYCStatus = "Rejected"
	KYCStatusExpired   KYCStatus = "Expired"
	KYCStatusApproved  KYCStatus = "Approved" // seen in samples, not in the documented list
)

// Known reports whether s is one of the statuses this package names.
func (s KYCStatus) Known() bool {
	switch s {
	case KYCStatusNew, KYCStatusPending, KYCStatusReview, KYCStatusEscalated,
		KYCStatusAccepted, KYCStatusRejected, KYCStatusExpired, KYCStatusApproved:
		return true
	}
	return false
}

// ID is an identifier that iComply sends as a JSON string in some answers
// and as a number in others (an AML search is "591" when created, 591 when
// read): providers.ID, which decodes both and encodes as a string.
type ID = providers.ID
