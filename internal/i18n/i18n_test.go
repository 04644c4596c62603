package i18n

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedCatalog(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("en", "auth.password_short", "min", 12); !strings.Contains(got, "12 characters") {
		t.Fatalf("T = %q", got)
	}
	if got := c.T("xx", "layout.sign_in"); got != "Sign in" {
		t.Fatalf("unknown language: %q, want the English text", got)
	}
	if got := c.T("en", "no.such.key"); got != "[no.such.key]" {
		t.Fatalf("missing key shows as %q", got)
	}
	if got := c.Match("fr-CH, fr;q=0.9, en;q=0.8"); got != "en" {
		t.Fatalf("Match = %q", got)
	}
	for _, k := range c.Keys() {
		if strings.TrimSpace(c.T("en", k)) == "" {
			t.Errorf("%s is empty", k)
		}
	}
}

func TestTranslationsMustBeComplete(t *testing.T) {
	fsys := fstest.MapFS{
		"messages/en/core.json":  {Data: []byte(`{"a":"A"}`)},
		"messages/en/extra.json": {Data: []byte(`{"b":"B"}`)},
		"messages/fr/core.json":  {Data: []byte(`{"a":"A fr"}`)},
	}
	if _, err := load(fsys); err == nil || !strings.Contains(err.Error(), `fr lacks "b"`) {
		t.Fatalf("incomplete translation: %v", err)
	}
	fsys["messages/fr/core.json"] = &fstest.MapFile{Data: []byte(`{"a":"A fr","b":"B fr"}`)}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Match("fr-FR,fr;q=0.9"); got != "fr" {
		t.Fatalf("Match = %q", got)
	}
	if got := c.T("fr", "b"); got != "B fr" {
		t.Fatalf("T = %q", got)
	}
}

func TestKeyInTwoFilesIsRefused(t *testing.T) {
	fsys := fstest.MapFS{
		"messages/en/core.json":  {Data: []byte(`{"a":"A"}`)},
		"messages/en/other.json": {Data: []byte(`{"a":"again"}`)},
	}
	if _, err := load(fsys); err == nil || !strings.Contains(err.Error(), `"a" is in both`) {
		t.Fatalf("duplicate key: %v", err)
	}
}

func TestError(t *testing.T) {
	kind := errors.New("invalid")
	err := NewError(kind, "auth.password_short", "min", 12)
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), "12") {
		t.Fatalf("err = %v", err)
	}
}
