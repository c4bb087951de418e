package core

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Settings and workflows are small, flat documents that the engine
// re-encodes, so they keep the members this engine does not know in an
// Extra map: a round trip through the store loses nothing the control plane
// added, and the engine itself never reads them. (Pages are stored exactly
// as sent instead; see Page.)

var knownFieldsCache sync.Map // reflect.Type -> map[string]bool

func knownFields(t reflect.Type) map[string]bool {
	if v, ok := knownFieldsCache.Load(t); ok {
		return v.(map[string]bool)
	}
	known := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[name] = true
		}
	}
	knownFieldsCache.Store(t, known)
	return known
}

// unmarshalKeepingUnknown decodes data into alias (a pointer to a struct
// type without custom methods) and returns the members it has no field for.
func unmarshalKeepingUnknown(data []byte, alias any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, alias); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := knownFields(reflect.TypeOf(alias).Elem())
	var extra map[string]json.RawMessage
	for k, v := range all {
		if known[k] {
			continue
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = v
	}
	return extra, nil
}

// marshalWithUnknown encodes alias and adds back the unknown members. A
// known field always wins over an unknown member of the same name.
func marshalWithUnknown(alias any, extra map[string]json.RawMessage) ([]byte, error) {
	data, err := json.Marshal(alias)
	if err != nil || len(extra) == 0 {
		return data, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}
