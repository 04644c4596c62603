// Package web is Vigil's HTTP server: a browser interface rendered on the
// server from embedded templates, and a JSON API, on separate muxes with
// their own protections (sessions, CSRF tokens and a strict content
// security policy for browsers; bearer tokens and JSON-only bodies for the
// API). It also serves the public log under /log/, health and readiness
// probes, and Prometheus metrics.
//
// Handlers return errors; one place turns an error into a page or an RFC
// 9457 problem document, showing people a clear message and never internal
// detail. Every route states who may use it, and the check runs on the
// server for every request.
package web
