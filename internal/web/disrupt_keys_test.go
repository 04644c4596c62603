package web

import (
	"reflect"
	"testing"

	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/i18n"
)

// TestDisruptionKeys checks the catalog keys the disruption pages build
// from values, which TestEveryMessageExists cannot see: a new enumerated
// value, change, citation or Order field without its text fails here.
func TestDisruptionKeys(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	add := func(prefix string, values ...string) {
		for _, v := range values {
			keys = append(keys, prefix+disrupt.Token(v))
		}
	}
	add("disrupt.type.", enumValues(disrupt.ShutdownTypes())...)
	add("disrupt.extent.", enumValues(disrupt.Extents())...)
	add("disrupt.network.", enumValues(disrupt.Networks())...)
	add("disrupt.status.", enumValues(disrupt.Statuses())...)
	add("disrupt.service.", disrupt.NamedServices()...)
	add("disrupt.change.", enumValues(disrupt.Changes)...)
	add("disrupt.source.", string(disrupt.Entered), string(disrupt.Imported))
	for _, a := range []disrupt.Answer{disrupt.Yes, disrupt.No, disrupt.Unknown} {
		keys = append(keys, answerKey(a))
	}
	for _, c := range (&disrupt.Order{}).Flags() {
		keys = append(keys, citationKey(c.Paragraphs))
	}
	for _, k := range savedNotices {
		keys = append(keys, k)
	}
	ot := reflect.TypeFor[disrupt.Order]()
	for i := range ot.NumField() {
		name := ot.Field(i).Name
		key, ok := orderFieldKeys[name]
		if !ok {
			t.Errorf("Order.%s has no label in orderFieldKeys", name)
			continue
		}
		keys = append(keys, key)
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("the catalog lacks %q", k)
		}
	}
	if got := citationKey("53(b)-(c)"); got != "disrupt.cite.p53_b_c" {
		t.Errorf("citationKey = %q", got)
	}
}
