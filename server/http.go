package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/sched"
)

type meResponse struct {
	UserID     string          `json:"user_id"`
	Tier       netra.Tier      `json:"tier"`
	Role       netra.Role      `json:"role"`
	Limits     sched.Limit     `json:"limits"`
	RateLimits ratelimit.Limit `json:"rate_limits"`
	Usage      usage           `json:"usage"`
	ModelUsage modelUsage      `json:"model_usage"`
}

// modelUsage is what the user's runs used of language models this month.
type modelUsage struct {
	Month        string                 `json:"month"`
	ByModel      map[string]model.Usage `json:"by_model"`
	Total        model.Usage            `json:"total"`
	TokenBudget  int64                  `json:"token_budget"` // 0: none
	TokensLeft   *int64                 `json:"tokens_left"`  // null without a budget
	BudgetResets time.Time              `json:"budget_resets"`
}

type usage struct {
	Running int `json:"running"`
	Queued  int `json:"queued"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	running, queued := s.cfg.Scheduler.Usage(id.UserID)
	mu, err := s.modelUsage(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meResponse{UserID: id.UserID, Tier: id.Tier, Role: id.Role,
		Limits: s.cfg.Scheduler.Limit(id.Tier), RateLimits: s.cfg.Limits.Limits(id.Tier), Usage: usage{Running: running, Queued: queued},
		ModelUsage: mu})
	return nil
}

// modelUsage reads the user's model usage this month (UTC) against the tier's budget.
func (s *Server) modelUsage(ctx context.Context, id netra.Identity) (modelUsage, error) {
	now := time.Now().UTC()
	month := now.Format("2006-01")
	by, err := s.cfg.Store.ModelUsage(ctx, id.UserID, month)
	if err != nil {
		return modelUsage{}, err
	}
	mu := modelUsage{Month: month, ByModel: by, TokenBudget: s.cfg.TokenBudgets[id.Tier],
		BudgetResets: time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)}
	for _, u := range by {
		mu.Total = mu.Total.Add(u)
	}
	if mu.TokenBudget > 0 {
		left := max(0, mu.TokenBudget-mu.Total.InputTokens-mu.Total.OutputTokens)
		mu.TokensLeft = &left
	}
	return mu, nil
}

// checkBudget refuses a run when the user's monthly model budget is spent.
func (s *Server) checkBudget(ctx context.Context, id netra.Identity) error {
	if s.cfg.TokenBudgets[id.Tier] <= 0 {
		return nil
	}
	mu, err := s.modelUsage(ctx, id)
	if err != nil {
		return err
	}
	if *mu.TokensLeft > 0 {
		return nil
	}
	return RetryAfter(netra.Errorf(netra.CodeBudgetExceeded, "your %d model tokens of %s are used; the budget resets at %s",
		mu.TokenBudget, mu.Month, mu.BudgetResets.Format(time.RFC3339)), time.Until(mu.BudgetResets))
}

// pathID returns the {id} path value, or not_found when it could never name anything.
func pathID(r *http.Request, what string) (string, error) {
	id := r.PathValue("id")
	if !execctx.ValidID(id) {
		return "", netra.Errorf(netra.CodeNotFound, "%s not found", what)
	}
	return id, nil
}

func (s *Server) createThread(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	var req struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	title := ""
	if req.Title != nil {
		title = *req.Title
	}
	t, err := s.cfg.Store.CreateThread(r.Context(), id.UserID, title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listThreads(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	limit, err := limitParam(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	threads, next, err := s.cfg.Store.ListThreads(r.Context(), id.UserID, limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	writeJSON(w, http.StatusOK, struct {
		Threads    []netra.Thread `json:"threads"`
		NextCursor *string        `json:"next_cursor"`
	}{threads, nextCursor})
	return nil
}

// limitParam reads a page size: default 20, at most 100.
func limitParam(v string) (int, error) {
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, netra.Errorf(netra.CodeInvalidRequest, "limit must be an integer from 1 to 100")
	}
	return n, nil
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	t, err := s.cfg.Store.GetThread(r.Context(), id.UserID, tid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// renameThread answers PATCH /v1/threads/{id} {title}.
func (s *Server) renameThread(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	defer func() { s.audit(r.Context(), id.UserID, netra.AuditThreadRename, "", "thread "+r.PathValue("id"), err) }()
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	var req struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Title == nil {
		return netra.Errorf(netra.CodeInvalidRequest, "title is required")
	}
	t, err := s.cfg.Store.RenameThread(r.Context(), id.UserID, tid, *req.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteThread(w http.ResponseWriter, r *http.Request, id netra.Identity) (err error) {
	defer func() { s.audit(r.Context(), id.UserID, netra.AuditThreadDelete, "", "thread "+r.PathValue("id"), err) }()
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.cfg.Store.GetThread(ctx, id.UserID, tid); err != nil {
		return err
	}
	// Active runs are cancelled first, and their terminal events stored, so that nothing of
	// the thread is written after it is gone.
	active := s.cfg.Scheduler.ActiveInThread(id.UserID, tid)
	for _, runID := range active {
		s.cfg.Scheduler.Cancel(runID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, runID := range active {
		for {
			run, err := s.cfg.Store.GetRun(ctx, id.UserID, runID)
			if err != nil || run.Status.Ended() {
				break
			}
			if time.Now().After(deadline) {
				return netra.Errorf(netra.CodeUnavailable, "the thread's runs did not stop in time; try again")
			}
			if !waitCtx(ctx, 10*time.Millisecond) {
				return ctx.Err()
			}
		}
	}
	if err := s.cfg.Store.DeleteThread(ctx, id.UserID, tid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	msgs, err := s.cfg.Store.ListMessages(r.Context(), id.UserID, tid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Messages []netra.Message `json:"messages"`
	}{msgs})
	return nil
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	var req startRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	return s.answerStart(w, r, id, req)
}

func (s *Server) createRunInThread(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	var req startRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	req.ThreadID = &tid
	return s.answerStart(w, r, id, req)
}

func (s *Server) answerStart(w http.ResponseWriter, r *http.Request, id netra.Identity, req startRequest) error {
	run, _, err := s.startRun(r.Context(), id, req, "", nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, run)
	return nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	tid, err := pathID(r, "thread")
	if err != nil {
		return err
	}
	runs, err := s.cfg.Store.ListRuns(r.Context(), id.UserID, tid)
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i] = s.withPosition(runs[i])
	}
	writeJSON(w, http.StatusOK, struct {
		Runs []netra.Run `json:"runs"`
	}{runs})
	return nil
}

// listUserRuns answers GET /v1/runs: the caller's runs, newest first, by status.
func (s *Server) listUserRuns(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"))
	if err != nil {
		return err
	}
	status := netra.RunStatus(q.Get("status"))
	if status != "" && !status.Valid() {
		return netra.Errorf(netra.CodeInvalidRequest, "status must be queued, running, completed, failed or cancelled")
	}
	runs, next, err := s.cfg.Store.ListUserRuns(r.Context(), id.UserID, status, limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i] = s.withPosition(runs[i])
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	writeJSON(w, http.StatusOK, struct {
		Runs       []netra.Run `json:"runs"`
		NextCursor *string     `json:"next_cursor"`
	}{runs, nextCursor})
	return nil
}

// listAgents answers GET /v1/agents.
func (s *Server) listAgents(w http.ResponseWriter, _ *http.Request, _ netra.Identity) error {
	writeJSON(w, http.StatusOK, struct {
		Agents []agent.Info `json:"agents"`
	}{s.cfg.Factory.Agents().List()})
	return nil
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	rid, err := pathID(r, "run")
	if err != nil {
		return err
	}
	run, err := s.cfg.Store.GetRun(r.Context(), id.UserID, rid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withPosition(run))
	return nil
}

func (s *Server) cancelRunHTTP(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	rid, err := pathID(r, "run")
	if err != nil {
		return err
	}
	run, err := s.cancelRun(r.Context(), id, rid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, run)
	return nil
}

func parseAfterSeq(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, netra.Errorf(netra.CodeInvalidRequest, "after_seq must be an integer ≥ 0")
	}
	return n, nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
	rid, err := pathID(r, "run")
	if err != nil {
		return err
	}
	after, err := parseAfterSeq(r.URL.Query().Get("after_seq"))
	if err != nil {
		return err
	}
	sse := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	if sse {
		if v := r.Header.Get("Last-Event-ID"); v != "" {
			if after, err = parseAfterSeq(v); err != nil {
				return netra.Errorf(netra.CodeInvalidRequest, "Last-Event-ID must be an integer ≥ 0")
			}
		}
	}
	run, err := s.cfg.Store.GetRun(r.Context(), id.UserID, rid)
	if err != nil {
		return err
	}
	if sse {
		return s.streamEvents(w, r, run, after)
	}
	evs, err := s.cfg.Store.ListEvents(r.Context(), id.UserID, rid, after, 0)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// The stored frames are the events' JSON already; write them as they are.
	buf := make([]byte, 0, 64+len(evs)*256)
	buf = append(buf, `{"events":[`...)
	for i, e := range evs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, e.Frame...)
	}
	buf = append(buf, "]}\n"...)
	_, _ = w.Write(buf)
	return nil
}

func (s *Server) issueTicket(w http.ResponseWriter, r *http.Request, _ netra.Identity) error {
	// The ticket carries the token's expiry, which ends the connection it opens.
	g, err := s.authenticate(r, false)
	if err != nil {
		return err
	}
	t, exp, err := s.cfg.Tickets.Issue(r.Context(), g)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Ticket    string    `json:"ticket"`
		ExpiresAt time.Time `json:"expires_at"`
	}{t, exp.UTC()})
	return nil
}

// waitCtx is a helper for loops that must stop with the request.
func waitCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
