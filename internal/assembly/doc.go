// Package assembly keeps the register of assemblies: notified or
// spontaneous gatherings, with their time window, area or route, expected
// size and the organiser's contact (private). Later it holds the
// technologies, requests, authorizations, deployments and notices around
// them.
package assembly
