package ledger

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"github.com/transparency-dev/tessera/api/layout"
)

// Handler serves the log's public resources under the C2SP tlog-tiles read
// paths: checkpoint, tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>],
// relative to wherever it is mounted (strip the prefix first). Tiles and
// entry bundles, full or partial, never change, so they are cacheable for a
// year; the checkpoint changes and is not cached.
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkpoint", func(w http.ResponseWriter, r *http.Request) {
		cp, err := src.ReadCheckpoint(r.Context())
		if err != nil {
			resourceError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(cp)
	})
	mux.HandleFunc("GET /tile/{level}/{index...}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("level") == "entries" {
			index, p, err := ParseTileIndex(r.PathValue("index"))
			if err != nil {
				http.Error(w, "malformed entry bundle path: "+err.Error(), http.StatusBadRequest)
				return
			}
			b, err := src.ReadEntryBundle(r.Context(), index, p)
			if err != nil {
				resourceError(w, r, err)
				return
			}
			immutable(w, b)
			return
		}
		level, index, p, err := ParseTilePath(r.PathValue("level"), r.PathValue("index"))
		if err != nil {
			http.Error(w, "malformed tile path: "+err.Error(), http.StatusBadRequest)
			return
		}
		t, err := src.ReadTile(r.Context(), level, index, p)
		if err != nil {
			resourceError(w, r, err)
			return
		}
		immutable(w, t)
	})
	return mux
}

func immutable(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}

func resourceError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	slog.Error("log read", "path", r.URL.Path, "err", err)
	http.Error(w, "cannot read the log", http.StatusInternalServerError)
}

// tileIndex is the canonical form of a tile index in a tlog-tiles path.
var tileIndex = regexp.MustCompile(`^(x[0-9]{3}/){0,7}[0-9]{3}(\.p/[0-9]{1,3})?$`)

// ParseTilePath parses the level and index parts of a tile path
// (tile/<level>/<index>), accepting only the canonical form tlog-tiles
// defines.
func ParseTilePath(level, index string) (uint64, uint64, uint8, error) {
	l, err := layout.ParseTileLevel(level)
	if err != nil || strconv.FormatUint(l, 10) != level {
		return 0, 0, 0, errors.New("bad tile level")
	}
	i, p, err := ParseTileIndex(index)
	if err != nil {
		return 0, 0, 0, err
	}
	return l, i, p, nil
}

// ParseTileIndex parses the index part of a tile or entry bundle path
// (tile/entries/<index>), accepting only the canonical form.
func ParseTileIndex(index string) (uint64, uint8, error) {
	if !tileIndex.MatchString(index) {
		return 0, 0, errors.New("bad tile index")
	}
	i, p, err := layout.ParseTileIndexPartial(index)
	if err != nil {
		return 0, 0, err
	}
	if layout.NWithSuffix(0, i, p) != index {
		return 0, 0, errors.New("tile index is not in canonical form")
	}
	return i, p, nil
}
