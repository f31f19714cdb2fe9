package icomply

import (
	"context"
	"iter"
)

// Entities returns an iterator over every entity ListEntities would page
// through: it asks for pages of p.Limit entities (0 means MaxListLimit,
// 100, the fewest requests) from p.Start on, and stops after a short page.
// An error (bad parameters, a failed page) is yielded once, with a zero
// Entity, and ends the iteration; so does breaking out of the loop, which
// sends nothing more.
//
//	for e, err := range c.Entities(ctx, icomply.ListEntitiesParams{Type: icomply.EntityTypeNaturalPersons}) {
//		if err != nil {
//			return err
//		}
//		…
//	}
//
// iComply pages by offset: an entity added or removed while the loop runs
// may shift the pages, so one may be seen twice or not at all.
func (c *Client) Entities(ctx context.Context, p ListEntitiesParams) iter.Seq2[Entity, error] {
	return func(yield func(Entity, error) bool) {
		if p.Limit == 0 {
			p.Limit = MaxListLimit
		}
		for {
			page, err := c.ListEntities(ctx, p)
			if err != nil {
				yield(Entity{}, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < p.Limit {
				return
			}
			p.Start += len(page)
		}
	}
}
