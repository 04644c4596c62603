package proofmode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

var (
	// ErrNotProofMode means the input is not a ProofMode bundle: not a zip
	// at all, or a zip with no .proof.json or .proof.csv in it.
	ErrNotProofMode = errors.New("proofmode: not a ProofMode bundle")

	// ErrInvalid means the input is a broken zip, or one that breaks the
	// limits set on a bundle (see the package documentation): too many
	// entries, an entry too large, an entry that inflates to more or fewer
	// bytes than it declares, two entries with the same name.
	ErrInvalid = errors.New("proofmode: invalid bundle")
)

// Result is what Check found in a bundle.
//
// It holds nothing else from the proofs: their location, network and
// device identifiers are neither kept nor returned, and no problem's text
// quotes them.
type Result struct {
	// Signer is the fingerprint of the key in pubkey.asc, in upper-case hex
	// as OpenPGP tools print it, or "" if there is no usable key. The key
	// comes with the bundle, so a valid signature shows only that the
	// bundle is whole as its signer left it; compare Signer with a key
	// known for the source to know who the signer is.
	Signer string

	// Media are the bundle's media files, in the zip's order.
	Media []Media

	// Problems says, one sentence each, what failed; it is empty when
	// every check passed.
	Problems []string

	// OK is true when every check passed and at least one media file has
	// a valid signature and a proof, validly signed, whose hash matches it.
	OK bool
}

// Media is what Check found about one media file of a bundle.
type Media struct {
	// Name is the file's name in the bundle (the last element of its
	// path), to give to OpenMedia.
	Name string
	// SHA256 is the file's SHA-256 as read from the bundle, in lower-case
	// hex.
	SHA256 string
	// Size is the file's length in bytes.
	Size int64
	// SignatureValid is true when the file's detached signature verifies
	// against the key in pubkey.asc.
	SignatureValid bool
	// ProofFound is true when a proof in the bundle describes the file.
	ProofFound bool
	// ProofSignatureValid is true when every file of that proof (.json and
	// .csv) has a signature that verifies against the key in pubkey.asc.
	ProofSignatureValid bool
	// HashMatches is true when the proof declares the file's SHA-256.
	HashMatches bool
	// Generated is when the proof says it was generated, in UTC, or zero
	// if it does not say in a form that can be read. ProofMode writes the
	// phone's local time with a "Z" after it, so this may be off by the
	// phone's time zone.
	Generated time.Time
}

// proof is one proof in a bundle: a .proof.json, a .proof.csv or both,
// under the same name.
type proof struct {
	key       string // the file name before .proof.json or .proof.csv
	label     string // the file name to report
	hash      string // declared, lower-case; "" if none or invalid
	pathBase  string
	generated time.Time
	sigValid  bool
	used      bool // tied to a media file
}

// Check reads a ProofMode bundle (a zip of size bytes) and checks it:
// every OpenPGP signature against the bundle's public key (pubkey.asc),
// and every proof's declared SHA-256 against the media file it describes.
// Failed checks are reported in Result.Problems, not as errors.
//
// Check fails with an error wrapping ErrNotProofMode when r is not a zip
// or holds no proof, with one wrapping ErrInvalid when the zip is broken or
// breaks a limit, and with the reader's own error when r cannot be read.
// The Result holds none of the proofs' location, network or device
// identifiers.
func Check(r io.ReaderAt, size int64) (*Result, error) {
	b, err := openBundle(r, size)
	if err != nil {
		return nil, err
	}
	if len(b.jsons) == 0 && len(b.csvs) == 0 {
		return nil, fmt.Errorf("%w: the zip holds no %s or %s file", ErrNotProofMode, suffixJSON, suffixCSV)
	}
	c := &checker{b: b, res: &Result{}, usedSig: map[string]bool{}}
	if err := c.readKey(); err != nil {
		return nil, err
	}
	if err := c.readProofs(); err != nil {
		return nil, err
	}
	if err := c.checkMedia(); err != nil {
		return nil, err
	}
	c.checkLeftovers()
	res := c.res
	if len(res.Problems) == 0 {
		for _, m := range res.Media {
			if m.SignatureValid && m.ProofFound && m.ProofSignatureValid && m.HashMatches {
				res.OK = true
			}
		}
		if !res.OK {
			res.Problems = append(res.Problems, "the bundle holds no media file")
		}
	}
	return res, nil
}

type checker struct {
	b       *bundle
	res     *Result
	keys    openpgp.EntityList // nil without a usable key
	proofs  []*proof
	usedSig map[string]bool
}

func (c *checker) problem(format string, args ...any) {
	c.res.Problems = append(c.res.Problems, fmt.Sprintf(format, args...))
}

func (c *checker) readKey() error {
	if c.b.pubkey == "" {
		c.problem("the bundle has no %s, so no signature could be checked", pubkeyName)
		return nil
	}
	data, err := c.b.readAll(c.b.pubkey, maxKeySize)
	if err != nil {
		return err
	}
	keys, signer, problem := readPublicKey(data)
	if problem != "" {
		c.problem("%s", problem)
		return nil
	}
	c.keys, c.res.Signer = keys, signer
	return nil
}

// readProofs reads every proof and checks the signatures of its files.
func (c *checker) readProofs() error {
	var keys []string
	for k := range c.b.jsons {
		keys = append(keys, k)
	}
	for k := range c.b.csvs {
		if _, ok := c.b.jsons[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := &proof{key: k, sigValid: true}
		var fields []proofFields
		for _, part := range []struct {
			files, sigs map[string]string
			parse       func([]byte) (proofFields, string)
		}{
			{c.b.jsons, c.b.jsonSigs, parseProofJSON},
			{c.b.csvs, c.b.csvSigs, parseProofCSV},
		} {
			name, ok := part.files[k]
			if !ok {
				continue
			}
			if p.label == "" {
				p.label = name
			}
			data, err := c.b.readAll(name, maxProofSize)
			if err != nil {
				return err
			}
			pf, problem := part.parse(data)
			if problem != "" {
				c.problem("%q %s", name, problem)
			} else {
				fields = append(fields, pf)
			}
			valid, err := c.checkSmall(name, data, part.sigs[k])
			if err != nil {
				return err
			}
			if !valid {
				p.sigValid = false
			}
		}
		if len(fields) > 0 {
			pf := fields[0]
			p.pathBase, p.generated = pf.pathBase, parseGenerated(pf.generated)
			switch {
			case pf.hash == "":
				c.problem("%q declares no %q", p.label, fieldHash)
			case !isSHA256(pf.hash):
				c.problem("%q declares a %q that is not a SHA-256", p.label, fieldHash)
			default:
				p.hash = strings.ToLower(pf.hash)
			}
			for _, other := range fields[1:] {
				if !strings.EqualFold(other.hash, pf.hash) {
					c.problem("the JSON and CSV proofs named %q declare different hashes", k)
				}
			}
			if p.hash != "" && isSHA256(k) && k != p.hash {
				c.problem("%q declares the hash %s, not the one in its name", p.label, p.hash)
			}
		}
		c.proofs = append(c.proofs, p)
	}
	return nil
}

// checkSmall checks the signature sigFile over a small file already read,
// reporting a problem and returning false if it fails.
func (c *checker) checkSmall(name string, data []byte, sigName string) (bool, error) {
	if sigName == "" {
		c.problem("%q has no signature (%q)", name, name+suffixSig)
		return false, nil
	}
	sig, err := c.b.readAll(sigName, maxSignatureSize)
	if err != nil {
		return false, err
	}
	if c.keys == nil {
		return false, nil
	}
	if err := verifySignature(c.keys, bytes.NewReader(data), sig); err != nil {
		c.problem("the signature %q of %q does not verify: %s", sigName, name, signatureProblem(err))
		return false, nil
	}
	return true, nil
}

// checkMedia ties each media file to its proof and its signature, then
// reads it once, hashing it and checking the signature as it streams.
func (c *checker) checkMedia() error {
	tied := map[string]*proof{}
	// By name: the classic layout, or the end of the proof's File Path.
	for _, name := range c.b.media {
		for _, p := range c.proofs {
			if !p.used && p.hash != "" && (p.key == name || p.pathBase == name) {
				tied[name], p.used = p, true
				break
			}
		}
	}
	// One media file and one proof left: they go together.
	var looseMedia []string
	var looseProofs []*proof
	for _, name := range c.b.media {
		if tied[name] == nil {
			looseMedia = append(looseMedia, name)
		}
	}
	for _, p := range c.proofs {
		if !p.used && p.hash != "" {
			looseProofs = append(looseProofs, p)
		}
	}
	if len(looseMedia) == 1 && len(looseProofs) == 1 {
		tied[looseMedia[0]], looseProofs[0].used = looseProofs[0], true
	}

	for _, name := range c.b.media {
		p := tied[name]
		sigKey := ""
		if _, ok := c.b.sigs[name]; ok {
			sigKey = name
		} else if p != nil {
			if _, ok := c.b.sigs[p.hash]; ok {
				sigKey = p.hash
			}
		}
		m, sigChecked, err := c.readMedia(name, sigKey)
		if err != nil {
			return err
		}
		// Else by hash, once it is known.
		if p == nil {
			for _, q := range c.proofs {
				if !q.used && q.hash == m.SHA256 {
					p, q.used = q, true
					break
				}
			}
		}
		if !sigChecked && sigKey == "" {
			if _, ok := c.b.sigs[m.SHA256]; ok {
				sigKey = m.SHA256
				if m.SignatureValid, err = c.checkMediaSignature(name, sigKey, nil); err != nil {
					return err
				}
			}
		}
		if sigKey == "" {
			want := m.SHA256
			if p != nil {
				want = p.hash
			}
			c.problem("%q has no signature (neither %q nor %q)", name, name+suffixSig, want+suffixSig)
		}
		if p == nil {
			c.problem("%q is described by no proof in the bundle", name)
		} else {
			m.ProofFound = true
			m.ProofSignatureValid = p.sigValid
			m.Generated = p.generated
			m.HashMatches = p.hash == m.SHA256
			if !m.HashMatches {
				c.problem("%q has the SHA-256 %s, but its proof %q declares %s: it is not the file the proof was made for", name, m.SHA256, p.label, p.hash)
			}
		}
		c.res.Media = append(c.res.Media, m)
	}
	return nil
}

// readMedia reads a media file once, hashing it and, when sigKey is
// known, checking its signature on the way.
func (c *checker) readMedia(name, sigKey string) (m Media, sigChecked bool, err error) {
	h := sha256.New()
	m = Media{Name: name}
	if sigKey != "" {
		m.SignatureValid, err = c.checkMediaSignature(name, sigKey, h)
		sigChecked = true
	} else {
		err = c.hashOnly(name, h)
	}
	if err != nil {
		return Media{}, false, err
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	m.Size = int64(c.b.files[name].UncompressedSize64)
	return m, sigChecked, nil
}

func (c *checker) hashOnly(name string, h io.Writer) error {
	r, err := c.b.open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(h, r)
	return err
}

// checkMediaSignature checks the signature sigKey+".asc" over the media
// file name, reading it to the end into h if h is not nil. It reports a
// problem and returns false when the signature does not verify; the error
// is for a bundle that cannot be read.
func (c *checker) checkMediaSignature(name, sigKey string, h io.Writer) (bool, error) {
	c.usedSig[sigKey] = true
	sigName := c.b.sigs[sigKey]
	sig, err := c.b.readAll(sigName, maxSignatureSize)
	if err != nil {
		return false, err
	}
	r, err := c.b.open(name)
	if err != nil {
		return false, err
	}
	defer r.Close()
	var src io.Reader = r
	if h != nil {
		src = io.TeeReader(r, h)
	}
	var verr error
	if c.keys != nil {
		verr = verifySignature(c.keys, src, sig)
	}
	// The library may stop early (on a broken signature, say): read the
	// rest so that the hash covers the whole file.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return false, err
	}
	if r.err != nil {
		return false, r.err
	}
	if c.keys == nil {
		return false, nil
	}
	if verr != nil {
		c.problem("the signature %q of %q does not verify: %s", sigName, name, signatureProblem(verr))
		return false, nil
	}
	return true, nil
}

// checkLeftovers reports proofs that describe no media file in the bundle
// and signatures that sign nothing in it.
func (c *checker) checkLeftovers() {
	declared := map[string]bool{}
	for _, p := range c.proofs {
		if p.hash != "" {
			declared[p.hash] = true
		}
		if !p.used && p.hash != "" {
			c.problem("proof %q describes a file (SHA-256 %s) that is not in the bundle", p.label, p.hash)
		}
	}
	var orphans []string
	for k, name := range c.b.sigs {
		if !c.usedSig[k] && !declared[k] {
			orphans = append(orphans, name)
		}
	}
	for _, sigs := range []struct{ sigs, files map[string]string }{
		{c.b.jsonSigs, c.b.jsons},
		{c.b.csvSigs, c.b.csvs},
	} {
		for k, name := range sigs.sigs {
			if _, ok := sigs.files[k]; !ok {
				orphans = append(orphans, name)
			}
		}
	}
	slices.Sort(orphans)
	for _, name := range orphans {
		c.problem("signature %q signs no file in the bundle", name)
	}
}
