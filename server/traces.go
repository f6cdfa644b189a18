package server

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/workload"
)

// MaxTraces bounds one OTLP/HTTP export, after decompression. SDK exporters send batches of
// at most 512 spans by default: a few hundred KiB.
const MaxTraces = 8 << 20

// traces answers POST /v1/traces, the OTLP/HTTP trace receiver: protobuf (the OpenTelemetry
// default) or JSON, gzip or not. Spans that name a model become records; the rest are
// skipped. Bad spans are counted in partial_success.rejected_spans, the good ones stored. The
// answer is an ExportTraceServiceResponse, and an error a google.rpc.Status, both in the
// request's encoding, as the OTLP/HTTP specification asks.
func (s *Server) traces(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	asJSON := mt == "application/json"
	if mt != "application/x-protobuf" && !asJSON {
		otlpError(w, false, http.StatusUnsupportedMediaType, "Content-Type must be application/x-protobuf or application/json")
		return nil
	}
	detail := "OTLP/HTTP traces"
	var accepted, rejected int64
	defer func() {
		s.audit(r.Context(), id.UserID, netra.AuditDataUpload, "", fmt.Sprintf("%s: %d accepted, %d rejected", detail, accepted, rejected), err)
	}()
	leave, err := s.enterUpload(id.UserID, costTraces)
	if err != nil {
		return err
	}
	defer leave()
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxTraces)
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			otlpError(w, asJSON, http.StatusBadRequest, "the body is not gzip")
			return nil
		}
		defer zr.Close()
		body = io.LimitReader(zr, MaxTraces+1)
	default:
		otlpError(w, asJSON, http.StatusUnsupportedMediaType, "Content-Encoding must be gzip or none")
		return nil
	}
	data, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(data) > MaxTraces {
		otlpError(w, asJSON, http.StatusRequestEntityTooLarge, fmt.Sprintf("an export is at most %d bytes", MaxTraces))
		return nil
	}
	if err != nil {
		otlpError(w, asJSON, http.StatusBadRequest, "could not read the body")
		return nil
	}
	var req coltracepb.ExportTraceServiceRequest
	if asJSON {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, &req)
	} else {
		err = proto.Unmarshal(data, &req)
	}
	if err != nil {
		otlpError(w, asJSON, http.StatusBadRequest, "not an OTLP trace export (ExportTraceServiceRequest)")
		return nil
	}
	res, err := s.cfg.Ingest.Upload(r.Context(), id, workload.SpanDecoder(&req, s.cfg.OTLPRouteAttribute), true)
	accepted, rejected = res.Accepted, res.Rejected
	if err != nil {
		code := Status(netra.ErrorCode(err))
		otlpError(w, asJSON, code, netra.ErrorMessage(err))
		return nil
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if res.Rejected > 0 {
		msgs := make([]string, 0, 3)
		for i, e := range res.Errors {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(res.Errors)-3))
				break
			}
			msgs = append(msgs, fmt.Sprintf("span %d: %s", e.Line, e.Message))
		}
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: res.Rejected, ErrorMessage: strings.Join(msgs, "; ")}
	}
	writeOTLP(w, asJSON, http.StatusOK, resp)
	return nil
}

// otlpError answers an OTLP/HTTP error: a google.rpc.Status in the request's encoding.
func otlpError(w http.ResponseWriter, asJSON bool, status int, msg string) {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeOTLP(w, asJSON, status, &spb.Status{Code: grpcCode(status), Message: msg})
}

// grpcCode is the google.rpc.Code closest to an HTTP status.
func grpcCode(status int) int32 {
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
		return 3 // INVALID_ARGUMENT
	case http.StatusUnauthorized:
		return 16 // UNAUTHENTICATED
	case http.StatusTooManyRequests, http.StatusInsufficientStorage:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	}
	return 13 // INTERNAL
}

func writeOTLP(w http.ResponseWriter, asJSON bool, status int, m proto.Message) {
	var b []byte
	if asJSON {
		b, _ = protojson.Marshal(m)
		w.Header().Set("Content-Type", "application/json")
	} else {
		b, _ = proto.Marshal(m)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
