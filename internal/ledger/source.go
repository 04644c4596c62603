package ledger

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/client"
)

// Source is where a log's public resources are read from: the log's own
// reader, a directory of tiles, or a URL serving them. Its methods follow
// Tessera's LogReader: a missing resource is an error wrapping
// os.ErrNotExist, and partial tiles and bundles are asked for by width.
type Source interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// OpenSource opens the log at loc: an http:// or https:// URL of the log's
// root (the directory holding "checkpoint"), or a local directory.
func OpenSource(loc string) (Source, error) {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("log URL %q: %w", loc, err)
		}
		return client.NewHTTPFetcher(u, &http.Client{Timeout: 30 * time.Second})
	}
	fi, err := os.Stat(loc)
	if err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("log directory %s is not a directory", loc)
	}
	if _, err := os.Stat(filepath.Join(loc, "checkpoint")); err != nil {
		return nil, fmt.Errorf("%s holds no checkpoint: is it a log directory?", loc)
	}
	return client.FileFetcher{Root: loc}, nil
}
