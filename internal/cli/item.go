package cli

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

const itemUsage = "item add FILE... --class CLASS --purpose TEXT [--type MEDIA/TYPE] [--deployment ID] [--submission NUMBER --pin PIN] [--captured-at TIME] [--latitude LAT --longitude LON] [--source TEXT] [--server URL] [--token TOKEN]"

func runItem(e *env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("vigil %s", itemUsage)
	}
	return itemAdd(e, args[1:])
}

// itemAdd uploads files to the vault through tus, resuming an upload a
// dropped connection (or a killed command) interrupted.
func itemAdd(e *env, args []string) error {
	f := newFlags(e, "item add", itemUsage)
	server, token := f.withServer()
	class := f.String("class", "", "the item's `CLASS` (see the server's /retention page): bodycam, capture, report, documentation…")
	purpose := f.String("purpose", "", "why the item is added, in a sentence (`TEXT`)")
	mediaType := f.String("type", "", "the files' media `TYPE`, such as video/mp4 (default: from each file's name)")
	deployment := f.String("deployment", "", "the deployment `ID` it was captured under (class capture)")
	submission := f.String("submission", "", "add to the submission with this case `NUMBER`")
	pin := f.String("pin", "", "the submission's `PIN`; default $VIGIL_PIN (not needed for your own submissions)")
	capturedAt := f.String("captured-at", "", "when the device captured it, RFC 3339 `TIME` such as 2026-11-23T14:05:00Z")
	lat := f.String("latitude", "", "where it was captured: `LAT`itude")
	lon := f.String("longitude", "", "where it was captured: `LON`gitude")
	source := f.String("source", "", "the device or channel (`TEXT`), such as a camera's number")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) == 0 {
		return usagef("name the files to add: vigil %s", itemUsage)
	}
	if *class == "" || strings.TrimSpace(*purpose) == "" {
		return usagef("say the items' --class and --purpose")
	}
	if *capturedAt != "" {
		if _, err := time.Parse(time.RFC3339, *capturedAt); err != nil {
			return usagef("--captured-at takes a time such as 2026-11-23T14:05:00Z")
		}
	}
	for _, v := range []string{*lat, *lon} {
		if v != "" {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return usagef("--latitude and --longitude take decimal degrees, such as 52.37")
			}
		}
	}
	if *pin == "" {
		*pin = os.Getenv("VIGIL_PIN")
	}
	// Check every file before sending any.
	files := make([]*os.File, 0, len(f.positional))
	defer func() {
		for _, fh := range files {
			fh.Close()
		}
	}()
	types := make([]string, len(f.positional))
	for i, name := range f.positional {
		fh, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", name, err)
		}
		files = append(files, fh)
		fi, err := fh.Stat()
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", name)
		}
		if fi.Size() == 0 {
			return fmt.Errorf("%s is empty", name)
		}
		types[i] = *mediaType
		if types[i] == "" {
			if types[i] = mediaTypeOf(fh); types[i] == "" {
				return fmt.Errorf("cannot tell what kind of file %s is: say it with --type, such as --type video/mp4", name)
			}
		}
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return err
	}
	// People who submit evidence get one submission for the files, and
	// its case number and PIN, once.
	if *submission == "" {
		var me struct {
			Role string `json:"role"`
		}
		if err := c.do(e.ctx, http.MethodGet, "/api/me", nil, &me); err != nil {
			return explainAPI(err)
		}
		switch me.Role {
		case "reporter", "flagger", "monitor", "moderator":
			var r struct {
				Submission string `json:"submission"`
				PIN        string `json:"pin"`
			}
			if err := c.do(e.ctx, http.MethodPost, "/api/submissions", struct{}{}, &r); err != nil {
				return explainAPI(err)
			}
			fmt.Fprintf(e.stdout, "Your submission's case number is %s and its PIN is %s.\nWrite both down now: the PIN is shown only this once. With them, anyone can see every access to what you submit, at /submission.\n\n", r.Submission, r.PIN)
			*submission = r.Submission
		}
	}
	state, err := uploadStateDir()
	if err != nil {
		fmt.Fprintf(e.stderr, "Warning: cannot remember unfinished uploads (%v): an interrupted upload will start over.\n", err)
	}
	tc := &tus.Client{Endpoint: c.url("/api/uploads"), Header: c.header(), StateDir: state}
	var failed int
	for i, fh := range files {
		md := map[string]string{vault.MetaFilename: filepath.Base(fh.Name()), vault.MetaMediaType: types[i], vault.MetaClass: *class,
			vault.MetaPurpose: strings.TrimSpace(*purpose)}
		for k, v := range map[string]string{vault.MetaDeployment: *deployment, vault.MetaSubmission: *submission, vault.MetaPIN: *pin,
			vault.MetaCapturedAt: *capturedAt, vault.MetaLatitude: *lat, vault.MetaLongitude: *lon, vault.MetaSource: *source} {
			if v != "" {
				md[k] = v
			}
		}
		fi, _ := fh.Stat()
		bar := newProgress(e.stderr, filepath.Base(fh.Name()), fi.Size())
		loc, err := tc.Upload(e.ctx, fh, md, bar.set)
		if err != nil {
			failed++
			var te *tus.Error
			if errors.As(err, &te) && te.Status >= 400 && te.Status < 500 {
				fmt.Fprintf(e.stderr, "%s: refused: %s\n", fh.Name(), te.Msg)
				continue
			}
			fmt.Fprintf(e.stderr, "%s: not added: %v\nRun the same command again to resume where it stopped.\n", fh.Name(), err)
			continue
		}
		bar.finish("sent")
		fmt.Fprintf(e.stdout, "%s: added as %s\n", fh.Name(), strings.TrimPrefix(loc, "/api/items/"))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not added", failed, len(files))
	}
	return nil
}

// uploadStateDir is where unfinished uploads are remembered, so that the
// same command run again resumes them: a directory in the user's cache,
// made if needed and checked to be writable before any upload is created,
// so that an unwritable one costs resumability, not the upload (nor an
// upload left on the server that nothing will resume).
func uploadStateDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir = filepath.Join(dir, "vigil", "uploads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return "", err
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return "", err
	}
	return dir, nil
}

// mediaTypeOf guesses a file's media type from its name, then its first
// bytes. The server checks it against the bytes again.
func mediaTypeOf(f *os.File) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(f.Name()))); t != "" {
		mt, _, _ := mime.ParseMediaType(t)
		return mt
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(head[:n]))
	if mt == "application/octet-stream" {
		return ""
	}
	return mt
}

// explainAPI adds what to do to an API refusal.
func explainAPI(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return errUnauthorized
	}
	return err
}
