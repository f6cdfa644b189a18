package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	var (
		user    = fs.String("user", "", "user id (required)")
		tier    = fs.String("tier", "free", "free, early, mid or enterprise")
		role    = fs.String("role", "user", "user or admin")
		ttl     = fs.Duration("ttl", time.Hour, "how long the token is valid")
		dataDir = fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "where the server keeps its generated secret (NETRA_DATA_DIR)")
		issuer  = fs.String("issuer", envOr("NETRA_JWT_ISSUER", ""), "iss claim (NETRA_JWT_ISSUER)")
	)
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if *user == "" {
		return fmt.Errorf("token: --user is required")
	}
	secret, err := secretFor(*dataDir)
	if err != nil {
		return err
	}
	tok, err := auth.Sign(secret, netra.Identity{UserID: *user, Tier: netra.Tier(*tier), Role: netra.Role(*role)}, *ttl, *issuer)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

// secretFor returns NETRA_JWT_SECRET, else the data directory's secret, creating it when
// missing so that `netra token` works before the first `netra serve`, with the same secret.
func secretFor(dataDir string) ([]byte, error) {
	if s := envOr("NETRA_JWT_SECRET", ""); s != "" {
		return []byte(s), nil
	}
	s, err := auth.LoadOrCreateSecret(dataDir)
	if err != nil {
		return nil, fmt.Errorf("reading the secret in %s: %w", dataDir, err)
	}
	return s, nil
}
