package disrupt

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestOrderJSON(t *testing.T) {
	o := fullOrder()
	o.Challenged, o.CustomersTold = Yes, No
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"start":"2017-01-17"`, `"end":"2017-04-20"`, `"challenged":"yes"`, `"customers_told":"no"`, `"implemented":"unknown"`, `"government_acknowledged":"no"`, `"issuing_authority":"Minister of the Interior"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	var back Order
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Unknown answers and days are left out, or read as unknown.
	b, _ = json.Marshal(Order{Country: "Ruritania"})
	if string(b) != `{"country":"Ruritania","challenged":"unknown","implemented":"unknown","customers_told":"unknown"}` {
		t.Errorf("empty order = %s", b)
	}
	for _, tc := range []struct {
		in, words string
	}{
		{`{"country":"X","start":"17/1/2017"}`, "not a day"},
		{`{"country":"X","start":"2017-01-17","challenged":"maybe"}`, "not an answer"},
		{`{"country":"X","colour":"red"}`, "unknown field"},
	} {
		err := json.Unmarshal([]byte(tc.in), &back)
		if err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: err = %v, want it to say %q", tc.in, err, tc.words)
		}
	}
	if err := json.Unmarshal([]byte(`{"country":"X","start":"2017-01-17","challenged":null,"implemented":"YES"}`), &back); err != nil || back.Implemented != Yes || back.Challenged != Unknown {
		t.Errorf("null and upper case: %+v %v", back, err)
	}
}

func FuzzOrderJSON(f *testing.F) {
	for _, o := range append(sampleOrders, fullOrder(), Order{}) {
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"country":"X","start":"2024-02-30","challenged":null,"types":["shutdown"]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var o Order
		if err := json.Unmarshal(in, &o); err != nil {
			return
		}
		// What reads, writes, and reads back the same.
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("marshal %+v: %v", o, err)
		}
		var again Order
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("reading back %s: %v", b, err)
		}
		if diff := cmp.Diff(o, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("read, written and read again (-first +second):\n%s", diff)
		}
		if o.Validate() == nil {
			_ = o.Key()
		}
	})
}
