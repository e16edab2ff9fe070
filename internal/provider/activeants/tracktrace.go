package activeants

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
)

//go:embed track_trace_statuses.tsv
var trackTraceTSV string

// ttRow is one row of track_trace_statuses.tsv.
type ttRow struct {
	status         model.Status // "" for a level that keeps the status
	substatus      string
	actionRequired bool
	source         string
}

// ttTable is the parsed table: by field ("status", "level") and code
// (lower case).
type ttTable map[string]map[string]ttRow

var trackTrace = mustParseTrackTrace(trackTraceTSV)

func mustParseTrackTrace(tsv string) ttTable {
	t, err := parseTrackTrace(tsv)
	if err != nil {
		panic(err)
	}
	return t
}

func parseTrackTrace(tsv string) (ttTable, error) {
	t := ttTable{"status": {}, "level": {}}
	header := true
	for n, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("track_trace_statuses.tsv line %d: %d fields, want 6", n+1, len(f))
		}
		rows, ok := t[f[0]]
		if !ok {
			return nil, fmt.Errorf("track_trace_statuses.tsv line %d: field %q is neither status nor level", n+1, f[0])
		}
		code := strings.ToLower(f[1])
		if _, dup := rows[code]; dup {
			return nil, fmt.Errorf("track_trace_statuses.tsv line %d: %s %s listed twice", n+1, f[0], f[1])
		}
		r := ttRow{substatus: f[3], actionRequired: f[4] == "true", source: f[5]}
		if f[2] != "-" {
			r.status = model.Status(f[2])
			if !r.status.Valid() {
				return nil, fmt.Errorf("track_trace_statuses.tsv line %d: %q is not a canonical status", n+1, f[2])
			}
		} else if f[0] == "status" {
			return nil, fmt.Errorf("track_trace_statuses.tsv line %d: a status row needs a status", n+1)
		}
		if f[5] == "" {
			return nil, fmt.Errorf("track_trace_statuses.tsv line %d: no source", n+1)
		}
		rows[code] = r
	}
	return t, nil
}

// TrackTraceStatus is what a track-trace status and exception level map to.
type TrackTraceStatus struct {
	Status         model.Status
	Substatus      string
	ActionRequired bool
	// Unmapped is set when the status code has no row (Status is then
	// unknown) or the level has none (it is then ignored).
	Unmapped bool
}

// MapTrackTrace maps a currentTrackTraceStatus and its
// currentTrackTraceExceptionLevel by track_trace_statuses.tsv. An empty
// status is pending; a status without a row is unknown. A level row may
// replace the status (exception) or add a substatus.
func MapTrackTrace(status, level Code) TrackTraceStatus {
	var out TrackTraceStatus
	if status == "" {
		out.Status = model.StatusPending
	} else if r, ok := trackTrace["status"][strings.ToLower(string(status))]; ok {
		out = TrackTraceStatus{Status: r.status, Substatus: r.substatus, ActionRequired: r.actionRequired}
	} else {
		out = TrackTraceStatus{Status: model.StatusUnknown, Unmapped: true}
	}
	if level == "" {
		return out
	}
	r, ok := trackTrace["level"][strings.ToLower(string(level))]
	if !ok {
		out.Unmapped = true
		return out
	}
	if r.status != "" {
		out.Status = r.status
	}
	if r.substatus != "" {
		out.Substatus = r.substatus
	}
	out.ActionRequired = out.ActionRequired || r.actionRequired
	return out
}
