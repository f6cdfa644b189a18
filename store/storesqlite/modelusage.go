package storesqlite

import (
	"context"

	"github.com/netra-ai/netra/model"
)

// AddModelUsage adds to the owner's usage of month, by model.
func (s *Store) AddModelUsage(ctx context.Context, owner, month string, byModel map[string]model.Usage) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.track(wrap("add model usage", err))
	}
	defer func() { _ = tx.Rollback() }()
	for m, u := range byModel {
		if _, err := tx.ExecContext(ctx, `INSERT INTO model_usage (owner, month, model, calls, input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (owner, month, model) DO UPDATE SET calls = calls + excluded.calls, input_tokens = input_tokens + excluded.input_tokens,
			output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd`,
			owner, month, m, u.ModelCalls, u.InputTokens, u.OutputTokens, u.CostUSD); err != nil {
			return s.track(wrap("add model usage", err))
		}
	}
	return s.track(wrap("add model usage", tx.Commit()))
}

// ModelUsage returns the owner's usage of month, by model.
func (s *Store) ModelUsage(ctx context.Context, owner, month string) (map[string]model.Usage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT model, calls, input_tokens, output_tokens, cost_usd FROM model_usage WHERE owner = ? AND month = ?`, owner, month)
	if err != nil {
		return nil, wrap("model usage", err)
	}
	defer rows.Close()
	out := map[string]model.Usage{}
	for rows.Next() {
		var m string
		var u model.Usage
		if err := rows.Scan(&m, &u.ModelCalls, &u.InputTokens, &u.OutputTokens, &u.CostUSD); err != nil {
			return nil, wrap("model usage", err)
		}
		out[m] = u
	}
	return out, wrap("model usage", rows.Err())
}
