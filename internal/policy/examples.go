package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Stack loads a pack with every pack below it, default first. A base is
// looked up as a built-in pack, or as BASE.yaml beside a pack read from a
// file.
func Stack(nameOrPath string) ([]*Pack, error) {
	var stack []*Pack
	seen := map[string]bool{}
	next := nameOrPath
	for {
		p, err := Open(next)
		if err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("its bases go round in a circle")}
		}
		seen[p.Name] = true
		stack = append([]*Pack{p}, stack...)
		if p.Base == "" {
			return stack, nil
		}
		next = p.Base
		if !slices.Contains(BuiltIn(), p.Base) && !strings.HasPrefix(p.Path, "builtin:") {
			next = filepath.Join(filepath.Dir(p.Path), p.Base+".yaml")
			if _, err := os.Stat(next); err != nil {
				return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("its base %q is neither built in nor beside it (%s)", p.Base, next)}
			}
		}
	}
}

// ExampleResult is how one shipped example fared.
type ExampleResult struct {
	Pack    string
	Name    string
	Want    Outcome
	Got     Outcome
	WantRan []string
	GotRan  []string
	Err     error
}

// OK reports whether the example got the decision it expects.
func (r ExampleResult) OK() bool {
	return r.Err == nil && r.Want == r.Got && sameSet(r.WantRan, r.GotRan)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// RunExamples decides every example of the last pack of stack, with the
// whole stack, and reports each.
func RunExamples(stack []*Pack) []ExampleResult {
	top := stack[len(stack)-1]
	var out []ExampleResult
	for _, ex := range top.Examples {
		res := ExampleResult{Pack: top.Name, Name: ex.Name, Want: ex.Expect.Outcome, WantRan: ex.Expect.Fired}
		if res.WantRan == nil {
			res.WantRan = []string{}
		}
		req, err := exampleRequest(ex)
		if err == nil {
			var e *Engine
			e, err = NewEngine(stack, Options{Switches: ex.Switches})
			if err == nil {
				var d Decision
				d, err = e.Decide(req)
				res.Got, res.GotRan = d.Outcome, d.Rules()
			}
		}
		res.Err = err
		out = append(out, res)
	}
	return out
}

// exampleRequest turns an example's YAML request into a Request through
// its JSON form, so that examples use the field names requests use.
func exampleRequest(ex Example) (Request, error) {
	if ex.Request.Kind == 0 {
		return Request{}, errNoRequest
	}
	var v any
	if err := ex.Request.Decode(&v); err != nil {
		return Request{}, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Request{}, err
	}
	return ParseRequest(b)
}
