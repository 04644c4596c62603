package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/i18n"
)

// TestForceMessagesExist checks the catalog keys the use-of-force pages
// build from values (weapons, flags, statuses, confirmations), and those
// the force package's errors name, which TestEveryMessageExists does not
// scan.
func TestForceMessagesExist(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	for _, k := range forceDone {
		used[k] = "forceDone"
	}
	for _, w := range forceWeapons() {
		used[w.Label] = "forceWeapons"
	}
	for _, m := range force.MedicalKinds {
		used["force.medical."+string(m)] = "MedicalKinds"
	}
	for _, b := range force.BodyKinds {
		used["force.body_kind."+string(b)] = "BodyKinds"
	}
	for _, st := range force.ReferralStatuses {
		used["force.referral."+string(st)] = "ReferralStatuses"
	}
	for _, f := range []force.Flag{force.FlagOpen, force.FlagReviewed, force.FlagReferred} {
		used["force.flag."+string(f)] = "flags"
	}
	for _, scope := range []string{"mine", "unit", "all"} {
		used["force.reports.heading."+scope] = "force_reports.html"
	}
	key := regexp.MustCompile(`(?:invalid|forbidden|conflict)\("([a-z]+(?:\.[a-z0-9_]+)+)"|checkText\([^)]*"([a-z]+(?:\.[a-z0-9_]+)+)"\)`)
	files, _ := filepath.Glob("../force/*.go")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			n++
			used[m[1]+m[2]] = f
		}
	}
	if n < 40 {
		t.Fatalf("found only %d keys in the force package: the scan is broken", n)
	}
	for k, where := range used {
		if !cat.Has(k) {
			t.Errorf("%s uses %q, which the catalog lacks", where, k)
		}
	}
}
