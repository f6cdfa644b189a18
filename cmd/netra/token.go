package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
)

// identityFlags are the flags of the commands that sign for a user: who, and with what secret.
type identityFlags struct {
	user, tier, role, dataDir, issuer *string
}

func newIdentityFlags(fs *flag.FlagSet) identityFlags {
	return identityFlags{
		user:    fs.String("user", "", "user id (required)"),
		tier:    fs.String("tier", "free", "free, early, mid or enterprise"),
		role:    fs.String("role", "user", "user or admin"),
		dataDir: fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "where the server keeps its generated secret (NETRA_DATA_DIR)"),
		issuer:  fs.String("issuer", envOr("NETRA_JWT_ISSUER", ""), "iss claim (NETRA_JWT_ISSUER)"),
	}
}

// resolve returns the identity and the secret to sign with.
func (f identityFlags) resolve(cmd string) (netra.Identity, []byte, error) {
	if *f.user == "" {
		return netra.Identity{}, nil, fmt.Errorf("%s: --user is required", cmd)
	}
	secret, err := secretFor(*f.dataDir)
	return netra.Identity{UserID: *f.user, Tier: netra.Tier(*f.tier), Role: netra.Role(*f.role)}, secret, err
}

func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	who := newIdentityFlags(fs)
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ttl <= 0 {
		return fmt.Errorf("token: --ttl must be positive, e.g. 1h")
	}
	id, secret, err := who.resolve("token")
	if err != nil {
		return err
	}
	tok, err := auth.Sign(secret, id, *ttl, *who.issuer)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

// loginLink prints a single-use sign-in link to the web app for a user, signed with the
// server's secret like `netra token`.
func loginLink(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("login-link", flag.ContinueOnError)
	who := newIdentityFlags(fs)
	url := fs.String("url", envOr("NETRA_URL", "http://127.0.0.1:8080"), "the server's address as the browser reaches it (NETRA_URL)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, secret, err := who.resolve("login-link")
	if err != nil {
		return err
	}
	code, err := auth.SignLoginCode(secret, id, 15*time.Minute, *who.issuer)
	if err != nil {
		return fmt.Errorf("login-link: %w", err)
	}
	_, err = fmt.Fprintf(out, "%s/#code=%s\n(single use, valid for 15 minutes)\n", strings.TrimRight(*url, "/"), code)
	return err
}

// secretFor returns NETRA_JWT_SECRET, else the secret the server keeps in its data directory.
// It never makes one: a token signed with a new secret would match no server.
func secretFor(dataDir string) ([]byte, error) {
	if s := envOr("NETRA_JWT_SECRET", ""); s != "" {
		return []byte(s), nil
	}
	s, err := auth.LoadSecret(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		abs, _ := filepath.Abs(filepath.Join(dataDir, auth.SecretFile))
		return nil, fmt.Errorf("no signing secret: NETRA_JWT_SECRET is unset and %s does not exist. "+
			"Start `netra serve` first (it makes one), or point --data-dir (NETRA_DATA_DIR) at the server's data directory, "+
			"or set NETRA_JWT_SECRET to the server's secret", abs)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the secret in %s: %w", dataDir, err)
	}
	return s, nil
}

// parseFlags parses a command's flags: -h prints them and exits 0, a bad flag exits 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitCode(0)
	case err != nil:
		return exitCode(2)
	}
	return nil
}
