package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// backends maps a location's URL scheme to the function that opens it.
// This is the one place where backends are registered.
var backends = map[string]func(ctx context.Context, location string) (Store, error){
	"file": openFileURL,
	"s3":   openS3URL,
}

// Open opens the store at location, which is one of:
//
//	/var/lib/vigil/blobs             a directory (relative paths too): FS
//	file:///var/lib/vigil/blobs      the same, as a URL
//	s3://ACCESS:SECRET@HOST[:PORT]/BUCKET[/PREFIX][?OPTIONS]   S3
//
// For S3, ACCESS and SECRET are the access key and secret key,
// percent-encoded (a '/' in the secret as %2F, '%' as %25, '@' as %40);
// without them requests are anonymous. BUCKET must exist. PREFIX, if
// given, is put before every key, so that stores can share a bucket. The
// OPTIONS are:
//
//	region=NAME        the bucket's region (default: ask the server)
//	insecure=true      plain HTTP instead of HTTPS (for a server on localhost)
//	path_style=true    path-style requests (HOST/BUCKET/KEY), which most
//	                   self-hosted servers need; default: chosen by host
//	part_size=BYTES    multipart upload part size (default 16 MiB, at least 5 MiB)
//
// For example, s3://vigil:s3cr3t@127.0.0.1:7070/evidence?region=us-east-1&insecure=true&path_style=true.
//
// Errors from Open never contain the secret; a Store's String method
// describes it without credentials. The Store returned also implements
// io.Closer; close it when done.
func Open(ctx context.Context, location string) (Store, error) {
	if location == "" {
		return nil, errors.New("blob: no location given")
	}
	scheme, _, ok := strings.Cut(location, "://")
	if !ok || !isScheme(scheme) {
		fs, err := NewFS(location)
		if err != nil {
			return nil, err
		}
		return fs, nil
	}
	open := backends[strings.ToLower(scheme)]
	if open == nil {
		return nil, fmt.Errorf("blob: unknown kind of location %q (want a directory, file:// or s3://)", scheme+"://")
	}
	return open(ctx, location)
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func openFileURL(_ context.Context, location string) (Store, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("blob: %s: a file URL must name a local path (file:///path)", location)
	}
	if u.Path == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("blob: %s: want file:///path/to/directory", location)
	}
	fs, err := NewFS(u.Path)
	if err != nil {
		return nil, err
	}
	return fs, nil
}

func openS3URL(ctx context.Context, location string) (Store, error) {
	cfg, err := ParseS3URL(location)
	if err != nil {
		return nil, err
	}
	s, err := NewS3(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseS3URL turns an s3:// location (see Open) into an S3Config, without
// connecting. Its errors never contain the secret.
func ParseS3URL(location string) (S3Config, error) {
	u, err := url.Parse(location)
	if err != nil {
		// url.Error repeats the whole URL, and even its message alone can
		// quote part of a secret that was not percent-encoded.
		return S3Config{}, errors.New("blob: the s3:// location is not a valid URL (details withheld: they could show the secret); " +
			"percent-encode the access key and secret ('/' as %2F, '%' as %25, '@' as %40)")
	}
	shown := u.Redacted()
	if u.Scheme != "s3" {
		return S3Config{}, fmt.Errorf("blob: %s: not an s3:// URL", shown)
	}
	if u.Opaque != "" || u.Host == "" {
		return S3Config{}, fmt.Errorf("blob: %s: want s3://ACCESS:SECRET@HOST[:PORT]/BUCKET", shown)
	}
	if u.Fragment != "" {
		return S3Config{}, fmt.Errorf("blob: %s: unexpected #fragment", shown)
	}
	cfg := S3Config{Endpoint: u.Host}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		secret, ok := u.User.Password()
		if !ok || cfg.AccessKey == "" || secret == "" {
			return S3Config{}, fmt.Errorf("blob: %s: give both access key and secret (ACCESS:SECRET@), or neither", shown)
		}
		cfg.SecretKey = secret
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return S3Config{}, fmt.Errorf("blob: %s: no bucket (s3://HOST/BUCKET)", shown)
	}
	cfg.Bucket = bucket
	cfg.Prefix = strings.TrimSuffix(prefix, "/")
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return S3Config{}, fmt.Errorf("blob: %s: options: %w", shown, err)
	}
	for name, vals := range q {
		if len(vals) != 1 {
			return S3Config{}, fmt.Errorf("blob: %s: option %q given %d times", shown, name, len(vals))
		}
		v := vals[0]
		var err error
		switch name {
		case "region":
			cfg.Region = v
		case "insecure":
			cfg.Insecure, err = strconv.ParseBool(v)
		case "path_style":
			cfg.PathStyle, err = strconv.ParseBool(v)
		case "part_size":
			cfg.PartSize, err = strconv.ParseInt(v, 10, 64)
		default:
			return S3Config{}, fmt.Errorf("blob: %s: unknown option %q (want region, insecure, path_style, part_size)", shown, name)
		}
		if err != nil {
			return S3Config{}, fmt.Errorf("blob: %s: option %s=%q: not valid", shown, name, v)
		}
	}
	return cfg, nil
}
