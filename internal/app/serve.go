package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/web"
	"github.com/vigil-project/vigil/internal/witness"
)

// Serve opens the log for writing, starts the ledger writer, makes the
// first admin account if there are no accounts, and serves HTTP until ctx
// ends. Then it shuts down gracefully: requests in flight finish, the
// writer appends every committed event, and the log publishes a checkpoint
// that covers them.
func (a *App) Serve(ctx context.Context) error {
	if err := a.EnsureKeys(); err != nil {
		return err
	}
	cfg := a.Config
	lcfg := cfg.Log
	lcfg.Dir, lcfg.Keys = a.LogDir(), a.Keys
	var witnesses *witness.Policy
	if len(lcfg.WitnessPolicy) > 0 {
		var err error
		if witnesses, err = witness.ParsePolicy(lcfg.WitnessPolicy); err != nil {
			return err
		}
		cfg.Logger.Info("checkpoints are published once witnesses cosign them", "policy", witnesses.String(), "fail_open", lcfg.WitnessFailOpen)
	}
	log, err := ledger.OpenLog(ctx, lcfg)
	if err != nil {
		return err
	}
	closeLog := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		log.Close(sctx)
	}
	writer := ledger.NewWriter(a.DB, log, a.Outbox, ledger.WriterConfig{Logger: cfg.Logger})
	if err := a.openVault(log); err != nil {
		closeLog()
		return err
	}
	// Blobs a crash left without an item are noise (their keys were never
	// stored); nothing is being ingested yet, so they can go.
	if n, err := a.Vault.CleanOrphans(ctx); err != nil {
		closeLog()
		return err
	} else if n > 0 {
		cfg.Logger.Info("deleted blobs left by an interrupted upload", "blobs", n)
	}
	if err := a.openUploads(); err != nil {
		closeLog()
		return err
	}
	// Uploads whose last byte arrived just before a crash become items now.
	if err := a.Uploads.Resume(ctx); err != nil {
		closeLog()
		return err
	}
	// Finish what a previous run (or a command run meanwhile) left, before
	// taking requests.
	if err := a.recordPolicy(ctx); err != nil {
		closeLog()
		return err
	}
	if err := writer.Flush(ctx); err != nil {
		closeLog()
		return err
	}
	// ...and let the public see it before the first visitor does.
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	err = log.AwaitPublished(pctx, writer.Stats().NextIndex)
	pcancel()
	if err != nil && ctx.Err() != nil {
		closeLog()
		return ctx.Err()
	}
	if err != nil && witnesses != nil {
		cfg.Logger.Warn("no published checkpoint covers the log yet: the witnesses have not cosigned one; serving anyway", "policy", witnesses.String())
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeLog()
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the address is in use (choose another with --addr)", cfg.Addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	}
	admin, password, created, err := a.Auth.EnsureAdmin(ctx)
	if err != nil {
		ln.Close()
		closeLog()
		return err
	}
	if created {
		fmt.Fprintf(cfg.Out, "\nFirst start: an admin account was created.\n  username: %s\n  password: %s\nThis password is shown only now; you must change it when you first sign in.\n\n", admin.Username, password)
	}
	deps := web.Deps{
		DB: a.DB, Auth: a.Auth, Assemblies: a.Assemblies, Disruptions: a.Disruptions, Force: a.Force, Keys: a.Keys, Log: log.Reader(),
		Writer: writer, Messages: a.Messages, Logger: cfg.Logger, Secure: cfg.SecureCookies, Vault: a.Vault, Uploads: a.Uploads,
	}
	if witnesses != nil {
		deps.Witnesses = witnesses
	}
	srv, err := web.New(deps)
	if err != nil {
		ln.Close()
		closeLog()
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	var wg sync.WaitGroup
	wctx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(2)
	writerErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		if err := writer.Run(wctx); !errors.Is(err, context.Canceled) {
			writerErr <- err
		}
	}()
	go func() {
		defer wg.Done()
		a.housekeeping(wctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	fmt.Fprintf(cfg.Out, "Vigil is listening on http://%s/\n", ln.Addr())

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = err
	case err := <-writerErr:
		runErr = fmt.Errorf("the ledger writer stopped: %w", err)
	}

	cfg.Logger.Info("shutting down")
	// Requests in flight get a while to finish; a client that stalls does
	// not hold up the rest of the shutdown.
	hctx, hcancel := context.WithTimeout(context.Background(), 20*time.Second)
	if err := hs.Shutdown(hctx); err != nil {
		cfg.Logger.Warn("requests still running at shutdown were cut off", "err", err)
		hs.Close()
	}
	hcancel()
	stopWriter()
	wg.Wait()
	// Then every committed event goes to the log, and a checkpoint covers it.
	lctx, lcancel := context.WithTimeout(context.Background(), time.Minute)
	defer lcancel()
	flushErr := writer.Flush(lctx)
	if flushErr != nil {
		runErr = errors.Join(runErr, fmt.Errorf("flush the ledger: %w", flushErr))
	}
	if err := log.Close(lctx); err != nil {
		if flushErr == nil && witnesses != nil && !lcfg.WitnessFailOpen {
			err = fmt.Errorf("%w (every event is in the log, but no checkpoint covering the last ones was published: the witnesses did not cosign one; the next start publishes it once they do)", err)
		}
		runErr = errors.Join(runErr, fmt.Errorf("close the log: %w", err))
	}
	if runErr == nil {
		cfg.Logger.Info("stopped cleanly", "appended", writer.Stats().Appended)
	}
	return runErr
}
