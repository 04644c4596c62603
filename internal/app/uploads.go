package app

import (
	"context"
	"io"

	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

// openUploads opens the resumable uploads that become vault items. Their
// chunks are encrypted with keys of their own, wrapped by the vault's
// key-encryption key.
func (a *App) openUploads() error {
	kek, err := vault.LocalKEK(a.KeyDir())
	if err != nil {
		return err
	}
	max := a.Config.MaxItemSize
	if max <= 0 {
		max = vault.DefaultMaxSize
	}
	a.Uploads, err = tus.New(a.DB, tus.Config{
		Blobs: a.Blobs, KEK: kek, MaxSize: max, Logger: a.Config.Logger,
		CheckMetadata: func(ctx context.Context, owner string, md map[string]string) error {
			by, err := a.Auth.Get(ctx, owner)
			if err != nil {
				return err
			}
			n, err := vault.NewItemFromMetadata(md)
			if err != nil {
				return vault.UploadError{Err: err}
			}
			if err := a.Vault.CheckNew(ctx, by, n); err != nil {
				return vault.UploadError{Err: err}
			}
			return nil
		},
		Complete: func(ctx context.Context, u tus.Upload, content io.Reader) (string, error) {
			by, err := a.Auth.Get(ctx, u.Owner)
			if err != nil {
				return "", err
			}
			n, err := vault.NewItemFromMetadata(u.Metadata)
			if err != nil {
				return "", vault.UploadError{Err: err}
			}
			it, _, err := a.Vault.IngestUpload(ctx, by, u.ID, n, content)
			if err != nil {
				return "", vault.UploadError{Err: err}
			}
			return vault.UploadLocation(it.ID), nil
		},
	})
	return err
}
