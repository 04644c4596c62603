package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// housekeeping does what time decides until ctx ends: deployments end,
// unreviewed urgent use stops, delayed notices are published, evidence
// whose schedule has ended is destroyed (every 15 seconds), and stale
// sessions go (every 10 minutes).
func (a *App) housekeeping(ctx context.Context) {
	sweep := time.NewTicker(15 * time.Second)
	defer sweep.Stop()
	prune := time.NewTicker(10 * time.Minute)
	defer prune.Stop()
	a.sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			a.sweep(ctx)
		case <-prune.C:
			if _, err := a.Auth.PruneSessions(ctx); err != nil {
				a.Config.Logger.Warn("prune sessions", "err", err)
			}
		}
	}
}

func (a *App) sweep(ctx context.Context) {
	if n, err := a.Assemblies.Sweep(ctx); err != nil && ctx.Err() == nil {
		a.Config.Logger.Error("sweep deployments and notices", "err", err)
	} else if n > 0 {
		a.Config.Logger.Info("deployments and notices brought up to date", "changes", n)
	}
	if n, err := a.Vault.Sweep(ctx); err != nil && ctx.Err() == nil {
		a.Config.Logger.Error("sweep the evidence vault", "err", err)
	} else if n > 0 {
		a.Config.Logger.Info("destroyed evidence items at the end of their schedule", "items", n)
	}
	if n, err := a.Uploads.Sweep(ctx); err != nil && ctx.Err() == nil {
		a.Config.Logger.Error("sweep expired uploads", "err", err)
	} else if n > 0 {
		a.Config.Logger.Info("deleted expired unfinished uploads", "uploads", n)
	}
}

var evPolicyLoaded = ledger.Kind{Name: "policy.loaded", Facts: []string{"packs", "pack_digests", "switches_on", "switches_off", "overrides"}}

// recordPolicy records on the public log the policy this server decides
// with: its packs by version and digest, its switches, and any deny rule
// the operator let a pack switch off.
func (a *App) recordPolicy(ctx context.Context) error {
	var packs, on, off []string
	var digests []ledger.Digest
	for _, r := range a.Policy.Refs() {
		packs = append(packs, r.Name+":"+r.Version)
		digests = append(digests, ledger.Digest(r.Digest))
	}
	for name, v := range a.Policy.Switches() {
		if v {
			on = append(on, name)
		} else {
			off = append(off, name)
		}
	}
	overrides := a.Policy.Overridden()
	if len(overrides) > 0 {
		a.Config.Logger.Warn("policy: deny rules switched off by override; this is on the public log", "rules", strings.Join(overrides, ", "))
	}
	return a.DB.Tx(ctx, func(tx *store.Tx) error {
		_, err := a.Outbox.Record(ctx, tx, ledger.Event{Kind: evPolicyLoaded, Actor: ledger.Actor{Role: "operator"},
			Facts: map[string]any{"packs": packs, "pack_digests": digests, "switches_on": sorted(on), "switches_off": sorted(off), "overrides": overrides}})
		return err
	})
}

func sorted(s []string) []string {
	if s == nil {
		return []string{}
	}
	slices.Sort(s)
	return s
}
