package disrupt

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Key returns the order's duplicate key: a hash of what identifies a
// disruption, so that the same order recorded twice, typed in by staff or
// read again from a newer copy of the STOP dataset, is found.
//
// What identifies it is where (the countries and the regions), when (the
// day it started) and what (its types, extent, networks and services).
// Case, spacing, Unicode composition and the order of list items do not
// matter. Everything else may be corrected or learnt later without making
// it another order: its end and status, who issued it and on what basis,
// sources, descriptions, and what the operator did. Two orders that differ
// only there are taken for one; two that differ in where, when or what are
// two, even if they are one order described differently (the duplicate is
// then visible in the register, rather than a real order silently lost).
func (o *Order) Key() string {
	set := func(items []string) []string {
		out := make([]string, 0, len(items))
		for _, s := range items {
			if s = foldText(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	key := struct {
		Countries []string `json:"c"`
		Start     string   `json:"s"`
		Regions   []string `json:"r"`
		Types     []string `json:"t"`
		Extent    []string `json:"e"`
		Networks  []string `json:"n"`
		Services  []string `json:"v"`
	}{
		Countries: set(strings.Split(o.Country, ";")),
		Regions:   set(o.Regions),
		Types:     set(names(o.Types)),
		Extent:    set(names(o.Extent)),
		Networks:  set(names(o.Networks)),
		Services:  set(o.Services),
	}
	if !o.Start.IsZero() {
		key.Start = o.Start.UTC().Format(DateLayout)
	}
	b, err := json.Marshal(key)
	if err != nil {
		panic("disrupt: key: " + err.Error()) // strings and lists of strings always encode
	}
	sum := sha256.Sum256(b)
	return "v1:" + hex.EncodeToString(sum[:])
}

// foldText is s in NFC, in lower case, with runs of white space made one
// space and none at either end.
func foldText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// normalize puts an order in the form the register keeps: days at
// midnight UTC, enumerated lists in their constants' order, services as
// canonicalServices puts them. It does not change what the order says.
func (o *Order) normalize() {
	o.Start, o.End = utcDay(o.Start), utcDay(o.End)
	o.Types = inOrder(shutdownTypes, o.Types)
	o.Extent = inOrder(extents, o.Extent)
	o.Networks = inOrder(networks, o.Networks)
	o.Services = canonicalServices(o.Services)
}

// inOrder returns the values of all that list holds, in all's order,
// followed by any list holds that all does not (which Validate refuses).
func inOrder[T comparable](all, list []T) []T {
	if len(list) == 0 {
		return nil
	}
	var out []T
	for _, v := range all {
		if slices.Contains(list, v) {
			out = append(out, v)
		}
	}
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
