package activeants

// TrackTraceSources lists the track-trace table's rows as field, code and
// source, for the test that every row says where it comes from.
func TrackTraceSources() [][3]string {
	var out [][3]string
	for field, rows := range trackTrace {
		for code, r := range rows {
			out = append(out, [3]string{field, code, r.source})
		}
	}
	return out
}

// ParseTrackTrace parses a table, for the tests of its checks.
func ParseTrackTrace(tsv string) error {
	_, err := parseTrackTrace(tsv)
	return err
}

// PathOf exposes pathOf.
var PathOf = pathOf
