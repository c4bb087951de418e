package main

import (
	"errors"
	"flag"
	"fmt"
)

// parseAnywhere parses fs's flags wherever they are on the command line
// (Go's flag package stops at the first argument that is not a flag, so
// `frontbase rollback 2 --url U` would leave --url unread) and returns
// the other arguments in order. Everything after "--" is an argument.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// oneDir is the directory argument of a publish.
func oneDir(rest []string) (string, error) {
	switch len(rest) {
	case 1:
		return rest[0], nil
	case 0:
		return "", errors.New("no directory: name the directory of page files to publish (frontbase publish [flags] DIR)")
	}
	return "", fmt.Errorf("expected one directory of page files, got %d arguments %q", len(rest), rest)
}
