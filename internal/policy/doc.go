// Package policy decides whether a use of technology around an assembly
// may go ahead, by rules that are data: policy packs of rules, each citing
// the paragraph of the standard it comes from, with a condition in CEL
// over a typed request, an effect and a message for people.
//
// A decision names the outcome, every rule that fired with its citation and
// message, the packs (by version and digest) and a digest of the request,
// so that any past decision can be explained and replayed. The default
// pack encodes UN OHCHR A/HRC/44/24 and the UN toolkit for law
// enforcement; a jurisdiction adds its own pack on top. A later pack may
// add rules and switch off a softer rule of the packs below it, but never
// a deny, unless the operator names that rule in an override, which Vigil
// records on the public log.
//
// A refusal is not an error: it is a decision with reasons.
package policy
