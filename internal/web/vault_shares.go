package web

import (
	"context"
	"io"
	"net/http"

	"github.com/vigil-project/vigil/internal/vault"
)

type sharedItem struct {
	ID        string
	Class     string
	MediaType string
	Size      int64
	Segment   string
}

type shareView struct {
	Share vault.Share
	Items []sharedItem
	Token string
}

// shareLookup finds the share a link opens, counting wrong links against
// the address.
func (s *Server) shareLookup(r *http.Request, token string) (vault.Share, error) {
	addr := clientAddr(r)
	if err := s.shareLimits.Check("share:"+token, addr); err != nil {
		return vault.Share{}, rateLimited(err)
	}
	sh, err := s.deps.Vault.ShareByToken(r.Context(), token)
	if err != nil {
		s.shareLimits.Fail("share:"+token, addr)
	}
	return sh, err
}

// sharePage is what the receiving authority sees when it follows the link:
// what is shared, on what legal basis, for what purpose, until when, and
// whether the originals are encrypted to its key.
func (s *Server) sharePage(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	sh, err := s.shareLookup(r, token)
	if err != nil {
		return err
	}
	v := shareView{Share: sh, Token: token}
	for _, id := range sh.ItemIDs {
		it, err := s.deps.Vault.Get(r.Context(), id)
		if err != nil {
			return err
		}
		if it.DestroyedAt != nil {
			continue
		}
		v.Items = append(v.Items, sharedItem{ID: it.ID, Class: it.Class, MediaType: it.MediaType, Size: it.Size, Segment: it.Segment})
	}
	s.render(w, r, http.StatusOK, "share", "share.title", v)
	return nil
}

// shareDownload sends the share's bundle. The vault records the download,
// and the read of every item in it, before the first byte. Each download
// counts against the link's limit, so that one link cannot be made to
// build bundles without end.
func (s *Server) shareDownload(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	sh, err := s.shareLookup(r, token)
	if err != nil {
		return err
	}
	s.shareLimits.Fail("share:"+token, clientAddr(r))
	return s.streamBundle(w, r, "share-"+sh.ID+".zip", func(ctx context.Context, w io.Writer) error {
		return s.deps.Vault.DownloadShare(ctx, token, w, nil)
	})
}
