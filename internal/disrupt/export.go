package disrupt

import (
	"context"
	"io"
)

// Export writes every order in the register, as it stands, to w as a STOP
// file (see WriteSTOP), earliest start first. What the operator did has no
// STOP column and is left out; the flag every order carries is the same
// for all, and is not a column either.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	all, err := s.All(ctx)
	if err != nil {
		return err
	}
	orders := make([]Order, len(all))
	for i := range all {
		orders[i] = all[i].Order
	}
	return WriteSTOP(w, orders)
}
