package vault

import (
	"strings"
	"testing"
)

func TestLoadClasses(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		ok         bool
	}{
		{"valid", `[{"name": "bodycam", "days": 30, "uploaders": ["officer"], "why": "Our force keeps it 30 days."},
			{"name": "facilitation", "refuse": true, "uploaders": ["officer"], "why": "Never kept."}]`, true},
		{"no why", `[{"name": "bodycam", "days": 30, "uploaders": ["officer"]}]`, false},
		{"unknown role", `[{"name": "bodycam", "days": 30, "uploaders": ["sheriff"], "why": "x"}]`, false},
		{"no days", `[{"name": "bodycam", "uploaders": ["officer"], "why": "x"}]`, false},
		{"forever", `[{"name": "bodycam", "days": 99999, "uploaders": ["officer"], "why": "x"}]`, false},
		{"repeated", `[{"name": "a", "days": 1, "uploaders": ["officer"], "why": "x"}, {"name": "a", "days": 2, "uploaders": ["officer"], "why": "x"}]`, false},
		{"unknown field", `[{"name": "a", "days": 1, "uploaders": ["officer"], "why": "x", "keep_forever": true}]`, false},
		{"not json", `days: 30`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := LoadClasses(strings.NewReader(tc.json))
			if (err == nil) != tc.ok {
				t.Fatalf("LoadClasses = %+v, %v; want ok=%v", cs, err, tc.ok)
			}
			if tc.ok && (len(cs) != 2 || cs[0].Days != 30 || !cs[1].Refuse || cs[0].Uploaders[0] != "officer") {
				t.Errorf("classes = %+v", cs)
			}
		})
	}
	// The defaults pass the same checks and each says why.
	if err := classes(DefaultClasses).check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range DefaultClasses {
		if len(c.Why) < 40 {
			t.Errorf("default class %s does not justify its schedule: %q", c.Name, c.Why)
		}
	}
}
