package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
)

// TestEveryMessageExists finds every catalog key the templates and the Go
// code name and checks the catalog has it, so no page shows a raw key.
func TestEveryMessageExists(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	tmplKey := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(assets, p)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	goKey := regexp.MustCompile(`(?:httpError\([^,]+, |invalid\(|forbidden\(|NewError\([^,]+, |\.T\([a-z.]+, |Key: )"([a-z]+(?:\.[a-z0-9_]+)+)"`)
	noticeKey := regexp.MustCompile(`"(notice\.[a-z_]+)"`)
	for _, dir := range []string{".", "../auth", "../assembly", "../disrupt", "../vault"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = f
			}
			if filepath.Base(f) == "render.go" {
				for _, m := range noticeKey.FindAllStringSubmatch(string(b), -1) {
					used[m[1]] = f
				}
			}
		}
	}
	// Keys built from values.
	for _, r := range auth.Roles {
		used["role."+string(r)] = "roleKey"
		used["dashboard.role."+string(r)] = "dashboard.html"
		used["dashboard.part."+string(r)] = "dashboard.html"
	}
	for _, k := range caseKinds {
		used["cases.kind."+k] = "case pages"
		used["cases.kind_help."+k] = "case_new.html"
	}
	for _, e := range custodyEventTypes {
		used["evidence.event."+e] = "vault_item.html"
	}
	for _, a := range accessActions {
		used["evidence.action."+a] = "vault pages"
	}
	for _, b := range basisKinds {
		used["evidence.basis."+b] = "vault pages"
		used["evidence.basis_option."+b] = "vault_item.html"
	}
	used["role.recipient"] = "accesses by a share's recipient"
	for _, k := range caseKinds {
		used["submission.result.hold."+k] = "submission_result.html"
	}
	for _, k := range mediaKinds {
		used["submission.result.kind."+k] = "submission_result.html"
	}
	for _, code := range []string{"400", "401", "403", "404", "409", "410", "413", "415", "429", "500", "503"} {
		used["status."+code] = "describe"
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for k, where := range used {
		if !cat.Has(k) {
			t.Errorf("%s uses %q, which the catalog lacks", where, k)
		}
	}
}
