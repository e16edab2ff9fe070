package courier

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/model"
)

// The courier's comment is free text written by its scanning app, like
//
//	TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024
//
// Each part is introduced by a marker and runs to the next marker. Any
// subset of the parts may be present, in any order.

// commentMarker is one keyword that opens a part of the comment.
type commentMarker struct {
	part  string
	words []string // matched case-insensitively, separated by spaces
	colon bool     // the marker ends in ':' (spaces before it allowed)
}

var commentMarkers = []commentMarker{
	{part: "date", words: []string{"on"}, colon: true},
	{part: "time", words: []string{"time"}, colon: true},
	{part: "by", words: []string{"scan", "by"}},
	{part: "gsm", words: []string{"gsm"}, colon: true},
	{part: "status", words: []string{"status"}, colon: true},
	{part: "gps", words: []string{"gps"}, colon: true},
}

var (
	commentDate = regexp.MustCompile(`\b([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b`)
	commentTime = regexp.MustCompile(`\b([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\b`)
	commentLat  = regexp.MustCompile(`(?i)\blat(?:itude)?\s*[:=]?\s*([-+]?[0-9]+(?:\.[0-9]+)?)`)
	commentLon  = regexp.MustCompile(`(?i)\b(?:lon|lng|long|longitude)\s*[:=]?\s*([-+]?[0-9]+(?:\.[0-9]+)?)`)
)

// ParseComment extracts the scan and the GPS position from a courier comment,
// reading the scan's date and time as local time of loc. It parses what it
// can and never fails: a part that is missing or garbled is left out, and a
// latitude or longitude out of range drops the position. It returns nil for
// what the comment does not state.
func ParseComment(comment string, loc *time.Location) (*model.Scan, *model.Location) {
	if loc == nil {
		loc = time.UTC
	}
	parts := splitComment(comment)

	var scan model.Scan
	if at, ok := scanTime(parts["date"], parts["time"], loc); ok {
		scan.At = &at
	}
	scan.By = parts["by"]
	scan.Phone = parts["gsm"]
	scan.Status = parts["status"]
	var sp *model.Scan
	if scan.At != nil || scan.By != "" || scan.Phone != "" || scan.Status != "" {
		sp = &scan
	}
	return sp, gpsLocation(parts["gps"])
}

// splitComment cuts the comment at its markers. Every marker ends the value
// before it; when a marker appears twice, its first value wins. Values are
// trimmed and may be empty.
func splitComment(s string) map[string]string {
	type hit struct {
		part       string
		start, end int // the marker's own span
	}
	var hits []hit
	for i := 0; i < len(s); {
		if i == 0 || !isWordRuneBefore(s, i) {
			matched := false
			for _, m := range commentMarkers {
				if end, ok := matchMarker(s, i, m); ok {
					hits = append(hits, hit{part: m.part, start: i, end: end})
					i = end
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	parts := make(map[string]string, len(hits))
	for k, h := range hits {
		if _, dup := parts[h.part]; dup {
			continue
		}
		stop := len(s)
		if k+1 < len(hits) {
			stop = hits[k+1].start
		}
		parts[h.part] = strings.TrimSpace(s[h.end:stop])
	}
	return parts
}

func isWordRuneBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

// matchMarker reports whether marker m starts at s[i:], and where it ends.
func matchMarker(s string, i int, m commentMarker) (int, bool) {
	j := i
	for k, w := range m.words {
		if k > 0 {
			n := j
			for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
				n++
			}
			if n == j {
				return 0, false
			}
			j = n
		}
		if len(s)-j < len(w) || !strings.EqualFold(s[j:j+len(w)], w) {
			return 0, false
		}
		j += len(w)
	}
	if m.colon {
		n := j
		for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
			n++
		}
		if n >= len(s) || s[n] != ':' {
			return 0, false
		}
		return n + 1, true
	}
	// A marker without a colon must end at a word boundary ("Scan by", not "Scan byte").
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); isWordRune(r) {
			return 0, false
		}
	}
	return j, true
}

// scanTime combines the comment's date and time. Both are needed: a date
// alone would claim a precision the courier did not give.
func scanTime(date, clock string, loc *time.Location) (time.Time, bool) {
	d := commentDate.FindStringSubmatch(date)
	c := commentTime.FindStringSubmatch(clock)
	if d == nil || c == nil {
		return time.Time{}, false
	}
	year, _ := strconv.Atoi(d[1])
	month, _ := strconv.Atoi(d[2])
	day, _ := strconv.Atoi(d[3])
	hour, _ := strconv.Atoi(c[1])
	minute, _ := strconv.Atoi(c[2])
	sec := 0
	if c[3] != "" {
		sec, _ = strconv.Atoi(c[3])
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day { // 2023-02-31 normalised into March
		return time.Time{}, false
	}
	return t.UTC(), true
}

// gpsLocation reads "lat 51.234535 - lon 4.410024". Both coordinates must be
// present and in range; a half position is no position.
func gpsLocation(gps string) *model.Location {
	la := commentLat.FindStringSubmatch(gps)
	lo := commentLon.FindStringSubmatch(gps)
	if la == nil || lo == nil {
		return nil
	}
	lat, err1 := strconv.ParseFloat(la[1], 64)
	lon, err2 := strconv.ParseFloat(lo[1], 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) ||
		math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return nil
	}
	return &model.Location{Lat: &lat, Lon: &lon}
}
