package auth

import (
	"errors"
	"strings"
)

// Errors of the separation-of-duties rule.
var (
	// ErrOwnRequest: the account that asked for something can never decide it.
	ErrOwnRequest = errors.New("the account that asked for this cannot decide it")
	// ErrSameUnit: a decision must come from outside the requester's unit.
	ErrSameUnit = errors.New("a decision on this must come from outside the requester's unit")
	// ErrDeciderDisabled: a disabled account decides nothing.
	ErrDeciderDisabled = errors.New("a disabled account cannot decide")
)

// SeparateDuties is the rule every capability calls before an account
// decides something another asked for (approves a request, closes an
// appeal, releases a hold): the decider must not be the asker, must be
// enabled, and, when both belong to units, must not be of the asker's unit.
// It returns nil when the decider may decide.
func SeparateDuties(asker, decider Account) error {
	switch {
	case decider.Disabled:
		return ErrDeciderDisabled
	case asker.ID == "" || decider.ID == "" || asker.ID == decider.ID:
		return ErrOwnRequest
	case asker.Unit != "" && decider.Unit != "" && normUnit(asker.Unit) == normUnit(decider.Unit):
		return ErrSameUnit
	}
	return nil
}

// normUnit compares units without regard to case or spacing.
func normUnit(u string) string { return strings.ToLower(strings.Join(strings.Fields(u), "")) }
