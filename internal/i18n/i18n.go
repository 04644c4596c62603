// Package i18n holds the words Vigil shows to people, by language. Every
// piece of text on a page or in an API error comes from a catalog here, so
// that a translation is a new file, not a code change. English is the
// first and the fallback.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

//go:embed messages
var files embed.FS

// Catalog maps message keys to text, per language.
type Catalog struct {
	langs    []language.Tag
	messages map[string]map[string]string // lang -> key -> text
	matcher  language.Matcher
}

// Fallback is the language every key must exist in.
const Fallback = "en"

// Load reads the embedded catalogs. Every language must have exactly the
// fallback's keys, so that nothing shows up untranslated by accident.
func Load() (*Catalog, error) {
	return load(files)
}

// load reads messages/LANG/*.json: each language's messages may be split
// into files by area (core, policy, force, ...); a key may appear in one
// file only.
func load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{messages: map[string]map[string]string{}}
	names, err := fs.Glob(fsys, "messages/*/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	from := map[string]string{} // lang/key -> file, to report duplicates
	for _, name := range names {
		lang := path.Base(path.Dir(name))
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		if c.messages[lang] == nil {
			c.messages[lang] = map[string]string{}
		}
		for k, v := range m {
			if other, dup := from[lang+"/"+k]; dup {
				return nil, fmt.Errorf("i18n: %q is in both %s and %s", k, other, name)
			}
			from[lang+"/"+k] = name
			c.messages[lang][k] = v
		}
	}
	en, ok := c.messages[Fallback]
	if !ok {
		return nil, fmt.Errorf("i18n: no %s catalog", Fallback)
	}
	c.langs = []language.Tag{language.Make(Fallback)}
	for lang, m := range c.messages {
		if lang == Fallback {
			continue
		}
		for k := range en {
			if _, ok := m[k]; !ok {
				return nil, fmt.Errorf("i18n: %s lacks %q", lang, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				return nil, fmt.Errorf("i18n: %s has %q, which %s does not", lang, k, Fallback)
			}
		}
		c.langs = append(c.langs, language.Make(lang))
	}
	c.matcher = language.NewMatcher(c.langs)
	return c, nil
}

// Match picks the best language for an Accept-Language header.
func (c *Catalog) Match(acceptLanguage string) string {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, _ := c.matcher.Match(tags...)
	base, _ := c.langs[i].Base()
	return base.String()
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.messages[Fallback][key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.messages[Fallback]))
	for k := range c.messages[Fallback] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the text for key in lang, with {name} placeholders filled from
// args given as name, value pairs. A missing key shows as itself in
// brackets, so that it is seen and fixed, never silently blank.
func (c *Catalog) T(lang, key string, args ...any) string {
	m, ok := c.messages[lang]
	if !ok {
		m = c.messages[Fallback]
	}
	s, ok := m[key]
	if !ok {
		return "[" + key + "]"
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

// Error is an error whose message for people comes from the catalog, so
// that a page can show it in the reader's language. Kind is the sentinel
// error it wraps, for errors.Is.
type Error struct {
	Kind error
	Key  string
	Args []any
}

// NewError returns an error of the given kind whose message is the
// catalog's text for key, filled with args (name, value pairs).
func NewError(kind error, key string, args ...any) error {
	return &Error{Kind: kind, Key: key, Args: args}
}

// Error is the English message.
func (e *Error) Error() string { return English().T(Fallback, e.Key, e.Args...) }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }

// Text is the message in lang.
func (e *Error) Text(c *Catalog, lang string) string { return c.T(lang, e.Key, e.Args...) }

// English returns the embedded catalog, loaded once. It panics if the
// embedded catalog is broken, which the package's tests rule out.
var English = sync.OnceValue(func() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
})
