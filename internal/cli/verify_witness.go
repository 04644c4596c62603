package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/witness"
)

// witnessFlags are verify's --witness and --witness-policy: the witness
// cosignatures a checkpoint must carry.
type witnessFlags struct {
	keys   stringList
	policy *string
}

func addWitnessFlags(f *flags) *witnessFlags {
	w := &witnessFlags{}
	f.Var(&w.keys, "witness", "require a cosignature by the witness whose public `KEY` this is (or a file of such keys, one per line); repeat for more")
	w.policy = f.String("witness-policy", "", "require the cosignatures a witness policy `FILE` asks for (the log's --witness-policy format)")
	return w
}

// policies reads the flags into what a checkpoint must meet: none if
// neither flag was given.
func (w *witnessFlags) policies() ([]*witness.Policy, error) {
	var out []*witness.Policy
	var keys []string
	for _, k := range w.keys {
		b, err := os.ReadFile(k)
		if err != nil {
			keys = append(keys, strings.TrimSpace(k))
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				keys = append(keys, line)
			}
		}
	}
	if len(keys) > 0 {
		p, err := witness.RequireAll(keys...)
		if err != nil {
			return nil, usagef("--witness: %v", err)
		}
		out = append(out, p)
	}
	if *w.policy != "" {
		b, err := os.ReadFile(*w.policy)
		if err != nil {
			return nil, fmt.Errorf("read the witness policy: %w", err)
		}
		p, err := witness.ParsePolicy(b)
		if err != nil {
			return nil, usagef("--witness-policy %s: %v", *w.policy, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// checkWitnesses checks a checkpoint note, whose log signature is already
// checked, against the policies, and returns what to tell people: the
// cosignatures that verified, or, with no policy, whose signatures there
// are that nothing checked. It fails naming each witness whose
// cosignature is missing or bad.
func checkWitnesses(checkpoint []byte, log note.Verifier, policies []*witness.Policy) ([]string, error) {
	others, err := witness.OtherSignatures(checkpoint, log)
	if err != nil {
		return nil, err
	}
	var lines []string
	if len(policies) == 0 {
		if len(others) > 0 {
			var names []string
			for _, o := range others {
				names = append(names, o.String())
			}
			lines = append(lines, fmt.Sprintf("The checkpoint also carries signatures by %s, not checked: give their keys with --witness KEY or --witness-policy FILE to require them.", strings.Join(names, ", ")))
		}
		return lines, nil
	}
	checked := map[witness.KeyID]bool{}
	for _, p := range policies {
		r, err := p.Check(checkpoint)
		var pe *witness.PolicyError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("witness check failed: %w", err)
		}
		if err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("OK: the checkpoint has the witness cosignatures required (%s).", p))
		for _, c := range r.Valid {
			if !checked[c.KeyID] {
				lines = append(lines, fmt.Sprintf("  cosigned by witness %s at %s", c.KeyID, c.Time.Format(time.RFC3339)))
			}
			checked[c.KeyID] = true
		}
		for _, k := range r.Invalid {
			lines = append(lines, fmt.Sprintf("  WARNING: the cosignature of witness %s does not verify (the policy is met without it)", k))
		}
	}
	for _, o := range others {
		if !checked[o] {
			lines = append(lines, fmt.Sprintf("  also signed by %s, not checked", o))
		}
	}
	return lines, nil
}
