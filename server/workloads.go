package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/workload"
)

// MaxUpload bounds the bytes of one JSONL or CSV upload; the records in it are bounded by the
// tier's record limit as well.
const MaxUpload = 1 << 30

type uploadError struct {
	Error struct {
		errorDetail
		Errors []workload.LineError `json:"errors"`
	} `json:"error"`
}

// uploadTimeout bounds reading one upload.
const uploadTimeout = 10 * time.Minute

func (s *Server) uploadRecords(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	detail, audited := "records", false
	defer func() {
		if !audited {
			s.audit(r.Context(), id.UserID, netra.AuditDataUpload, "", detail, err)
		}
	}()
	format, ok := workload.FormatOf(r.Header.Get("Content-Type"))
	if !ok {
		return netra.Errorf(netra.CodeInvalidRequest,
			"Content-Type must be application/x-ndjson (or application/jsonl), text/csv, or application/json (OTLP/JSON traces)")
	}
	cost := int64(costRecords)
	if format == workload.FormatOTLP {
		cost = costOTLPJSON
	}
	leave, err := s.enterUpload(id.UserID, cost)
	if err != nil {
		return err
	}
	defer leave()
	partial := r.URL.Query().Get("partial") == "true"
	limit := int64(MaxUpload)
	if format == workload.FormatOTLP {
		limit = workload.MaxOTLP
	}
	detail = string(format) + " records"
	// Uploads are large; the deadline only stops a client that trickles one forever.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	body := yielding{http.MaxBytesReader(w, r.Body, limit)}
	res, err := s.cfg.Ingest.Upload(r.Context(), id, workload.NewDecoder(format, body), partial)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return netra.Errorf(netra.CodePayloadTooLarge, "upload larger than %d bytes", limit)
	}
	var bad *ingest.BadLines
	if errors.As(err, &bad) {
		ref := netra.NewID("ref_")
		s.log.Info("upload refused", "ref", ref, "user_id", id.UserID, "rejected", bad.Rejected)
		var body uploadError
		body.Error.Code = netra.CodeInvalidRequest
		body.Error.Message = "upload refused, nothing stored: " + bad.Error() + " (send ?partial=true to store the good lines)"
		body.Error.Ref = ref
		body.Error.Errors = bad.Errors
		writeJSON(w, http.StatusBadRequest, body)
		s.audit(r.Context(), id.UserID, netra.AuditDataUpload, "", fmt.Sprintf("%s: refused, %d bad lines, nothing stored", detail, bad.Rejected),
			netra.Errorf(netra.CodeInvalidRequest, "bad lines"))
		audited = true
		return nil
	}
	if err != nil {
		return err
	}
	// Drain what the decoder did not read (trailing blank lines), so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	detail += fmt.Sprintf(": %d accepted, %d duplicates, %d rejected", res.Accepted, res.Duplicates, res.Rejected)
	writeJSON(w, http.StatusCreated, res)
	return nil
}

type summaryResponse struct {
	Records int64      `json:"records"`
	First   *time.Time `json:"first"`
	Last    *time.Time `json:"last"`
	Limit   int64      `json:"limit"`
	// Last30Days are the totals of the rolling 30 days that end now.
	Last30Days workload.Totals `json:"last_30_days"`
}

func (s *Server) workloadSummary(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	sum, err := s.cfg.Ingest.RecordSummary(r.Context(), id.UserID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	st, err := s.cfg.Ingest.Analyze(r.Context(), id.UserID, workload.Window{From: now.Add(-30 * 24 * time.Hour), To: now}, ingest.Scope{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, summaryResponse{Records: sum.Records, First: sum.First, Last: sum.Last,
		Limit: s.cfg.Ingest.Limit(id.Tier), Last30Days: st.Totals})
	return nil
}

func (s *Server) deleteWorkloads(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	n, err := s.cfg.Ingest.Delete(r.Context(), id.UserID)
	s.audit(r.Context(), id.UserID, netra.AuditDataDelete, "", fmt.Sprintf("%d records", n), err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"deleted": n})
	return nil
}

// enterUpload admits an upload of user's that may hold cost bytes (uploadGate), counting it
// in the metrics.
func (s *Server) enterUpload(user string, cost int64) (func(), error) {
	leave, err := s.uploads.enter(user, cost)
	if err != nil {
		s.cfg.Metrics.RateLimited.WithLabelValues("upload").Inc()
		return nil, err
	}
	s.cfg.Metrics.Uploads.Inc()
	return func() {
		s.cfg.Metrics.Uploads.Dec()
		leave()
	}, nil
}

func (s *Server) synthetic(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	var req struct {
		Preset string `json:"preset"`
		Days   int    `json:"days"`
		Seed   uint64 `json:"seed"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	leave, err := s.enterUpload(id.UserID, costSynthetic)
	if err != nil {
		return err
	}
	defer leave()
	res, err := s.cfg.Ingest.Synthetic(r.Context(), id, workload.SyntheticSpec{Preset: req.Preset, Days: req.Days, Seed: req.Seed})
	s.audit(r.Context(), id.UserID, netra.AuditDataUpload, "", fmt.Sprintf("synthetic %q, %d days: %d accepted", req.Preset, req.Days, res.Accepted), err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}
