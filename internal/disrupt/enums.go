package disrupt

import "slices"

// The enumerated values, in the order STOP writes them, for forms and
// documentation.

// ShutdownTypes lists the ShutdownType values.
func ShutdownTypes() []ShutdownType { return slices.Clone(shutdownTypes) }

// Extents lists the Extent values.
func Extents() []Extent { return slices.Clone(extents) }

// Networks lists the Network values.
func Networks() []Network { return slices.Clone(networks) }

// Statuses lists the Status values.
func Statuses() []Status { return slices.Clone(statuses) }

// NamedServices lists the services STOP has a column of its own for.
func NamedServices() []string { return slices.Clone(namedServices) }

// GeoScopes lists the geographic scopes STOP uses most; GeoScope may hold
// others.
func GeoScopes() []string { return []string{GeoScopeOneCity, GeoScopeCitiesRegion, GeoScopeRegions} }

// IsNamedService reports whether s is a service STOP has a column for.
func IsNamedService(s string) bool { return slices.Contains(namedServices, s) }
