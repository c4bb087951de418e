package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
)

// Versions lists an engine's kept site versions (GET /api/versions).
func Versions(ctx context.Context, opts Options) ([]core.SiteVersion, error) {
	var out wire.VersionsResponse
	if err := call(ctx, opts, http.MethodGet, "/api/versions", nil, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}

// Rollback asks an engine to restore a kept site version.
func Rollback(ctx context.Context, opts Options, version int64) (*wire.RollbackResponse, error) {
	body, err := json.Marshal(wire.RollbackRequest{Version: json.Number(strconv.FormatInt(version, 10))})
	if err != nil {
		return nil, err
	}
	var out wire.RollbackResponse
	if err := call(ctx, opts, http.MethodPost, "/api/rollback", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// call sends one management request and decodes a successful answer
// into out; a failed one becomes an error with the engine's message.
func call(ctx context.Context, opts Options, method, route string, body []byte, out any) error {
	if opts.URL == "" || opts.Key == "" {
		return fmt.Errorf("an engine URL and a system key are required")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(opts.URL, "/")+route, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-System-Key", opts.Key)
	resp, err := opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	var status wire.Error
	if err := json.Unmarshal(raw, &status); err != nil {
		return fmt.Errorf("HTTP %d: unexpected response %q", resp.StatusCode, truncate(string(raw), 200))
	}
	if resp.StatusCode != http.StatusOK || !status.Success {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, status.Error)
	}
	return json.Unmarshal(raw, out)
}
