package icomply

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/unikyc/unikyc/providers"
)

// AMLPath is the v2 AML screening endpoint.
const AMLPath = "/api/v2/aml"

// SearchTypePerson is the search type iComply documents (and the default).
const SearchTypePerson = "person"

// AMLSearchParams is the body of POST /api/v2/aml.
type AMLSearchParams struct {
	Ongoing    bool          `json:"ongoing"` // keep screening on a schedule
	SearchTerm AMLSearchTerm `json:"searchTerm"`
	// SearchType defaults to SearchTypePerson.
	SearchType string `json:"searchType"`
	// SearchFuzziness is 0 (exact) to 100 (loosest); always sent.
	SearchFuzziness int `json:"searchFuzziness"`
	// SearchCoverage lists the lists to search, e.g. "sanctions",
	// "warning", "pep-class-1".
	SearchCoverage  []string `json:"searchCoverage,omitempty"`
	LinkedEntityIDs []string `json:"linkedEntityIds,omitempty"`
}

// AMLSearchTerm is who to search for. Personal data: do not log.
type AMLSearchTerm struct {
	Name        string   `json:"name"`
	YearOfBirth int      `json:"yearOfBirth,omitempty"`
	Countries   []string `json:"countries,omitempty"` // ISO 3166 codes, e.g. "US"
}

func (p *AMLSearchParams) check() error {
	switch {
	case p.SearchTerm.Name == "":
		return providers.Invalid("SearchTerm.Name", "is required")
	case p.SearchTerm.YearOfBirth < 0:
		return providers.Invalid("SearchTerm.YearOfBirth", "must not be negative")
	case p.SearchFuzziness < 0 || p.SearchFuzziness > 100:
		return providers.Invalid("SearchFuzziness", "must be between 0 and 100")
	}
	for i, c := range p.SearchTerm.Countries {
		if c == "" {
			return providers.Invalid("SearchTerm.Countries["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
	for i, id := range p.LinkedEntityIDs {
		if err := checkID("LinkedEntityIDs["+strconv.Itoa(i)+"]", id); err != nil {
			return err
		}
	}
	return nil
}

// CreateAMLSearch starts an AML screening and returns its ID.
func (c *Client) CreateAMLSearch(ctx context.Context, p AMLSearchParams) (ID, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	if p.SearchType == "" {
		p.SearchType = SearchTypePerson
	}
	created, err := call[struct {
		ID ID `json:"id"`
	}](ctx, c, http.MethodPost, AMLPath, "create aml search", p)
	if err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", errors.New("unikyc: icomply create aml search: answer without an id")
	}
	return created.ID, nil
}

// AMLSearch is an AML screening and its counts of matches by state.
type AMLSearch struct {
	ID                ID       `json:"id"`
	Ongoing           bool     `json:"ongoing"`
	ScreenDate        string   `json:"screenDate,omitempty"`
	NextReview        string   `json:"nextReview,omitempty"`
	SearchTerm        string   `json:"searchTerm"`
	SearchTypes       []string `json:"searchTypes,omitempty"`
	SearchFuzziness   int      `json:"searchFuzziness"`
	SearchCoverage    []string `json:"searchCoverage,omitempty"`
	Pending           int      `json:"pending"`
	Accepted          int      `json:"accepted"`
	Unknown           int      `json:"unknown"`
	Sanctions         int      `json:"sanctions"`
	PoliticalExposure int      `json:"politicalExposure"`
	AdverseMedia      int      `json:"adverseMedia"`
	LinkedEntityIDs   []string `json:"linkedEntityIds,omitempty"`
}

// GetAMLSearch returns one AML screening (GET /api/v2/aml/{id}). id is the
// search ID CreateAMLSearch returned, as iComply's sample shows; its prose
// also calls the parameter an entity ID, so an entity ID is sent as given
// too (see the package doc).
func (c *Client) GetAMLSearch(ctx context.Context, id ID) (*AMLSearch, error) {
	if err := checkID("id", string(id)); err != nil {
		return nil, err
	}
	s, err := call[AMLSearch](ctx, c, http.MethodGet, AMLPath+"/"+string(id), "get aml search", nil)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
