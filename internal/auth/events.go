package auth

import "github.com/vigil-project/vigil/internal/ledger"

// The events auth records. Usernames, names and units are private: the log
// holds only commitments to them, and to the account's ID.
var (
	evAccountCreated = ledger.Kind{Name: "account.created", Facts: []string{"role"}, Private: []string{"account", "username", "display_name", "unit"}}
	evRoleChanged    = ledger.Kind{Name: "account.role_changed", Facts: []string{"from", "to"}, Private: []string{"account"}}
	evUnitChanged    = ledger.Kind{Name: "account.unit_changed", Private: []string{"account", "unit"}}
	evDisabled       = ledger.Kind{Name: "account.disabled", Facts: []string{"role"}, Private: []string{"account"}}
	evEnabled        = ledger.Kind{Name: "account.enabled", Facts: []string{"role"}, Private: []string{"account"}}
	evPasswordSet    = ledger.Kind{Name: "account.password_changed", Facts: []string{"by_admin"}, Private: []string{"account"}}
	evTokenCreated   = ledger.Kind{Name: "token.created", Facts: []string{"expires"}, Private: []string{"account", "token"}}
	evTokenRevoked   = ledger.Kind{Name: "token.revoked", Private: []string{"account", "token"}}
)

// Actor is the ledger actor for an account.
func (a Account) Actor() ledger.Actor { return ledger.Actor{Account: a.ID, Role: string(a.Role)} }

func subject(accountID string) string { return "account:" + accountID }
