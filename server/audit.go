package server

import (
	"net/http"
	"strconv"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// maxAuditPage is the most entries one audit request answers.
const maxAuditPage = 500

type auditPage struct {
	Entries []netra.AuditEntry `json:"entries"`
	// NextAfterSeq is the after_seq of the next page, null when this page is the last.
	NextAfterSeq *int64 `json:"next_after_seq"`
}

// pageQuery reads after_seq (default 0) and limit (default 100, at most maxAuditPage).
func pageQuery(r *http.Request) (afterSeq int64, limit int, err error) {
	if afterSeq, err = parseAfterSeq(r.URL.Query().Get("after_seq")); err != nil {
		return 0, 0, err
	}
	limit = 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditPage {
			return 0, 0, netra.Errorf(netra.CodeInvalidRequest, "limit must be an integer from 1 to %d", maxAuditPage)
		}
		limit = n
	}
	return afterSeq, limit, nil
}

func writePage(w http.ResponseWriter, entries []netra.AuditEntry, limit int) {
	p := auditPage{Entries: entries}
	if len(entries) == limit {
		next := entries[len(entries)-1].Seq
		p.NextAfterSeq = &next
	}
	writeJSON(w, http.StatusOK, p)
}

// ownAudit answers GET /v1/audit: the caller's own trail, oldest first.
func (s *Server) ownAudit(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	afterSeq, limit, err := pageQuery(r)
	if err != nil {
		return err
	}
	entries, err := s.cfg.Store.ListAudit(r.Context(), id.UserID, afterSeq, limit)
	if err != nil {
		return err
	}
	writePage(w, entries, limit)
	return nil
}

// adminAudit answers GET /v1/admin/audit?user=ID: any user's trail (refused credentials are
// user ~anonymous).
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, _ netra.Identity) (string, error) {
	user := r.URL.Query().Get("user")
	detail := "read the audit trail of " + strconv.Quote(user)
	if s.cfg.AuditAdmin == nil {
		return detail, netra.Errorf(netra.CodeUnavailable, "this store has no admin audit view")
	}
	if user != netra.AuditAnonymous && !auth.ValidSubject(user) {
		return detail, netra.Errorf(netra.CodeInvalidRequest, "user must be a user id, or ~anonymous for refused credentials")
	}
	afterSeq, limit, err := pageQuery(r)
	if err != nil {
		return detail, err
	}
	entries := []netra.AuditEntry{}
	if err := s.cfg.AuditAdmin.ScanAudit(r.Context(), user, afterSeq, limit, func(e netra.AuditEntry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		return detail, err
	}
	writePage(w, entries, limit)
	return detail, nil
}

// checkpointKey answers GET /v1/audit/checkpoint-key: the public key that checks the signed
// checkpoints of the audit trail (`netra audit verify --key`).
func (s *Server) checkpointKey(w http.ResponseWriter, _ *http.Request, _ netra.Identity) error {
	if s.cfg.AuditKey == "" {
		return netra.Errorf(netra.CodeUnavailable, "this server does not sign audit checkpoints")
	}
	writeJSON(w, http.StatusOK, map[string]string{"algorithm": "Ed25519", "key": s.cfg.AuditKey})
	return nil
}

// auditStatus answers GET /v1/admin/audit/status: the newest signed checkpoint and the chains
// held because they disagreed with it at start.
func (s *Server) auditStatus(w http.ResponseWriter, _ *http.Request, _ netra.Identity) (string, error) {
	if s.cfg.AuditStatus == nil {
		return "", netra.Errorf(netra.CodeUnavailable, "this server does not sign audit checkpoints")
	}
	writeJSON(w, http.StatusOK, s.cfg.AuditStatus())
	return "", nil
}
