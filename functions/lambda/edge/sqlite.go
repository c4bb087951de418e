//go:build sqlite

package main

// Built with the sqlite tag, the function links SQLite: FRONTBASE_ENV=local
// (a trial mode on Lambda, each instance keeping its own copy in /tmp) and
// sqlite data sources. Without the tag the binary is smaller and starts
// faster, and such a configuration fails at init naming the tag.
import _ "github.com/frontbase/edge/functions/internal/backend/withsqlite"
