package wics

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Time is a WICS date or date-time: deliveryDate, receiptDate,
// registrationDate, bestBeforeDate. The zero Time is "no date" (null in the
// document's examples).
type Time struct {
	// Instant is the moment, in UTC; zero for a date without a time of day.
	Instant time.Time
	// Date is the calendar date as WICS wrote it (YYYY-MM-DD), in the
	// sender's zone: 2021-09-13 for "2021-09-13T00:00:00.000+02:00", whose
	// Instant is on the 12th in UTC.
	Date string
}

// IsZero reports whether the Time is "no date".
func (t Time) IsZero() bool { return t.Date == "" }

// MarshalJSON writes null for no date, else {"date", "instant"}; instant is
// left out for a date without a time of day.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	v := struct {
		Date    string `json:"date"`
		Instant string `json:"instant,omitempty"`
	}{Date: t.Date}
	if !t.Instant.IsZero() {
		v.Instant = t.Instant.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(v)
}

var (
	dateOnlyRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	// dateTimeRE is RFC 3339's date-time, its T already checked, with the
	// offset optional (a tolerance) and at most nine fractional digits.
	dateTimeRE = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// parseTime reads a WICS date-time. dateField is set for fields that hold
// a calendar date (bestBeforeDate): for them YYYY-MM-DD is the normal form;
// elsewhere it is a tolerance. tolerate is called for each liberal reading
// and may refuse it.
func parseTime(s string, loc *time.Location, dateField bool, tolerate func(string) error) (Time, error) {
	if s == "" {
		return Time{}, tolerate("empty string taken as no date")
	}
	if dateOnlyRE.MatchString(s) {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return Time{}, fmt.Errorf("%s is not a calendar date", strconv.Quote(clip(s)))
		}
		if !dateField {
			if err := tolerate("a date without a time of day"); err != nil {
				return Time{}, err
			}
		}
		return Time{Date: s}, nil
	}
	norm := s
	if len(s) > 11 && s[10] == ' ' {
		if s[11] == 'T' {
			if err := tolerate("space before T"); err != nil {
				return Time{}, err
			}
			norm = s[:10] + s[11:]
		} else {
			if err := tolerate("space instead of T"); err != nil {
				return Time{}, err
			}
			norm = s[:10] + "T" + s[11:]
		}
	}
	m := dateTimeRE.FindStringSubmatch(norm)
	if m == nil {
		return Time{}, fmt.Errorf("expected an RFC 3339 date-time such as 2021-09-13T00:00:00.000+02:00, got %s", strconv.Quote(clip(s)))
	}
	if m[8] != "" {
		t, err := time.Parse(time.RFC3339Nano, norm)
		if err != nil {
			return Time{}, fmt.Errorf("%s is not a valid date-time", strconv.Quote(clip(s)))
		}
		return Time{Instant: t.UTC(), Date: norm[:10]}, nil
	}
	// No offset: the wall-clock time is the connection's.
	wall, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", norm, time.UTC)
	if err != nil {
		return Time{}, fmt.Errorf("%s is not a valid date-time", strconv.Quote(clip(s)))
	}
	instants := localInstants(wall, loc)
	switch len(instants) {
	case 0:
		return Time{}, fmt.Errorf("%s has no UTC offset and does not exist in %s (a DST change skips it)", strconv.Quote(clip(s)), loc)
	case 2:
		return Time{}, fmt.Errorf("%s has no UTC offset and happens twice in %s (a DST change repeats it)", strconv.Quote(clip(s)), loc)
	}
	if err := tolerate("no UTC offset, read as " + loc.String() + " time"); err != nil {
		return Time{}, err
	}
	return Time{Instant: instants[0].UTC(), Date: norm[:10]}, nil
}

// localInstants lists the moments at which loc's clocks show wall (given as
// if it were UTC): one normally, none in a gap a DST change skips, two in an
// hour it repeats. It assumes at most one offset change within a day either
// side, which holds for every zone.
func localInstants(wall time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for _, probe := range []time.Time{wall.Add(-24 * time.Hour), wall.Add(24 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		at := wall.Add(-time.Duration(off) * time.Second)
		if _, got := at.In(loc).Zone(); got != off {
			continue
		}
		if len(out) == 1 && out[0].Equal(at) {
			continue
		}
		out = append(out, at)
	}
	return out
}
