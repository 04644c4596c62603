package auth

import "strings"

// Role is what an account may do. The anonymous public has no account and
// no role.
type Role string

// The roles of DESIGN.md.
const (
	Reporter   Role = "reporter"   // files a report, uploads evidence, follows their case
	Flagger    Role = "flagger"    // trusted flagger: a verified organisation whose reports go first
	Monitor    Role = "monitor"    // civil society: documents assemblies, preserves evidence
	Officer    Role = "officer"    // requests deployments, uploads captures, reports use of force
	Commander  Role = "commander"  // files and manages deployments for an operation
	Authorizer Role = "authorizer" // independent (judicial) authority: approves or refuses
	Moderator  Role = "moderator"  // platform or support service: triages reports
	Oversight  Role = "oversight"  // data protection authority or inspector: reads and audits all
	Admin      Role = "admin"      // accounts, keys, policy packs, retention schedules
)

// Roles lists every role, in the order pages show them.
var Roles = []Role{Reporter, Flagger, Monitor, Officer, Commander, Authorizer, Moderator, Oversight, Admin}

// ParseRole returns the role named s, or an error that lists the roles.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", invalid("auth.role_unknown", "role", s, "roles", strings.Join(names, ", "))
}

// Is reports whether r is one of rs.
func (r Role) Is(rs ...Role) bool {
	for _, x := range rs {
		if r == x {
			return true
		}
	}
	return false
}
