package force

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// ReviewFlag takes an untrained use out of oversight's queue with a note
// saying what oversight found, without referring it: the certificate was
// valid but recorded late, the use was reviewed and found justified. To
// refer it to an investigation instead, use Refer. Only oversight reviews.
func (s *Service) ReviewFlag(ctx context.Context, by auth.Account, incidentID, note string) (Incident, error) {
	if !by.Role.Is(CanOversee...) {
		return Incident{}, forbidden("force.forbidden_oversee")
	}
	if err := checkText(&note, 10, 2000, "force.review_note"); err != nil {
		return Incident{}, err
	}
	var out Incident
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		in, err := s.incident(ctx, tx, incidentID, true)
		if err != nil {
			return err
		}
		if in.Flag != FlagOpen {
			return conflict("force.flag_not_open")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, "UPDATE force_incidents SET flag = ?, flag_note = ?, flag_closed_by = ?, flag_closed_at = ? WHERE id = ? AND flag = ?",
			string(FlagReviewed), note, by.ID, store.Micros(now), in.ID, string(FlagOpen)); err != nil {
			return fmt.Errorf("force: review: %w", err)
		}
		if _, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evFlagReviewed, Actor: by.Actor(), Subject: incidentSubject(in.ID),
			Facts: map[string]any{"incident": in.ID}, Private: map[string]string{"note": note},
		}); err != nil {
			return err
		}
		in.Flag, in.FlagNote, in.FlagClosedBy, in.FlagClosedAt = FlagReviewed, note, by.ID, &now
		out = in
		return nil
	})
	return out, err
}
