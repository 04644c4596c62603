package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// apiClient talks to a Vigil server's JSON API with an API token, for the
// commands that work on a running server (vigil item, vigil export): the
// server is the one writer of its database and log.
type apiClient struct {
	base  *url.URL
	token string
	http  *http.Client
}

// withServer adds --server and --token.
func (f *flags) withServer() (server, token *string) {
	server = f.String("server", envOr("VIGIL_SERVER", "http://127.0.0.1:8080"), "the Vigil server's `URL` ($VIGIL_SERVER)")
	token = f.String("token", "", "an API `TOKEN` from your account page; default $VIGIL_TOKEN (safer: it stays out of your shell history)")
	return server, token
}

func newAPIClient(server, token string) (*apiClient, error) {
	if token == "" {
		token = strings.TrimSpace(envOr("VIGIL_TOKEN", ""))
	}
	if token == "" {
		return nil, usagef("give an API token: create one on your account page, then set VIGIL_TOKEN or pass --token")
	}
	u, err := url.Parse(strings.TrimSuffix(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server takes the server's URL, such as https://vigil.example.org")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, usagef("refusing to send a token over plain http to %s: use https", u.Host)
	}
	return &apiClient{base: u, token: token, http: &http.Client{}}, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

func (c *apiClient) url(path string) string { return c.base.String() + path }

func (c *apiClient) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + c.token}}
}

// apiError is the server's refusal, with its message.
type apiError struct {
	Status int
	Msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("the server refused (%d): %s", e.Status, e.Msg) }

// do sends a request and decodes a JSON answer into out (if not nil). A
// problem document becomes an *apiError with its detail.
func (c *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(out); err != nil {
		return fmt.Errorf("the server's answer to %s %s is not what was expected: %w", method, path, err)
	}
	return nil
}

// send sends a request with a JSON body and returns a successful response;
// a refusal becomes an *apiError.
func (c *apiClient) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return nil, err
	}
	req.Header = c.header()
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server: %w", err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readProblem(resp)
	}
	return resp, nil
}

func readProblem(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	var p struct {
		Title, Detail, Error string
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &p) == nil {
		switch {
		case p.Detail != "":
			msg = p.Detail
		case p.Error != "":
			msg = p.Error
		case p.Title != "":
			msg = p.Title
		}
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &apiError{Status: resp.StatusCode, Msg: msg}
}

var errUnauthorized = errors.New("the token was refused: check it, or create a new one on your account page")
