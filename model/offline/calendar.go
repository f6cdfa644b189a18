package offline

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra/model"
)

// The calendar periods a question can name. "last week" and "last month" stay rolling windows
// (the last 7 and 30 days: windowRe); a named date or month, yesterday, today and this month
// are UTC calendar days.
const monthNames = `january|february|march|april|may|june|july|august|september|october|november|december|` +
	`jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec`

var (
	isoDateRe  = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	monthDayRe = regexp.MustCompile(`\b(` + monthNames + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`)
	dayMonthRe = regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + monthNames + `)\b\.?(?:,?\s+(\d{4})\b)?`)
	// A month alone: after a preposition or before a year ("in november", "november 2026"),
	// or a full name that is not also a common word.
	// A day range within one month: "nov 10-20", "november 10 to 20th", "10-20 nov", "the
	// 10th to the 20th of november".
	dayRangeRe = regexp.MustCompile(`\b(?:(` + monthNames + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*(?:-|–|to|through|until|till)\s*(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?|` +
		`(\d{1,2})(?:st|nd|rd|th)?\s*(?:-|–|to|through|until|till)\s*(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + monthNames + `)\b\.?(?:,?\s+(\d{4})\b)?)`)
	// Holidays whose day a question may name instead of its date, longest names first.
	holidayRe = regexp.MustCompile(`\b(black friday|cyber monday|thanksgiving(?: day)?|christmas eve|christmas day|christmas|xmas|boxing day|` +
		`new year(?:'|’)?s eve|new year(?:'|’)?s day|new year(?:'|’)?s|halloween|valentine(?:'|’)?s(?: day)?)\b(?:,?\s+(\d{4})\b)?`)
	// A week of a month: "the first week of november", "last week of october 2025".
	weekOfRe = regexp.MustCompile(`\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+(?:of|in)\s+(` + monthNames + `)\b(?:\s+(\d{4})\b)?`)
	// Words before a single date that make it the start of a period running to today.
	sinceRe = regexp.MustCompile(`\b(?:since|from|starting)\s+(?:the\s+)?$`)
	// A weekday: "on Monday", "last Friday" (not "on Mondays": every Monday is a ranking).
	weekdayRe = regexp.MustCompile(`\b(on|last|past|this past)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b`)
	monthRe   = regexp.MustCompile(`\b(?:(?:in|for|during|over|throughout|of)\s+(` + monthNames + `)\b(?:\s+(\d{4})\b)?|(` + monthNames + `)\s+(\d{4})\b|(january|february|april|june|july|august|september|october|november|december)\b)`)
)

// calendar is the calendar period of UTC days, from and to inclusive, that the question l
// (lower case) names, resolved against today (a UTC midnight); ok is false when it names none.
// Two dates are a period ("between Nov 10 and Nov 20", "from 2026-11-01 to 2026-11-07"), as
// is a day range in one month ("Nov 10-20", "10 to 20 November"); one date after "since" or
// "from" runs to today.
func calendar(l string, today time.Time) (from, to time.Time, ok bool) {
	type at struct {
		day   time.Time
		start int
	}
	var days []at
	for _, d := range isoDateRe.FindAllStringSubmatchIndex(l, -1) {
		if d[0] > 0 && strings.ContainsRune("-_.:/", rune(l[d[0]-1])) {
			continue // a dated model name: gpt-4o-2024-08-06
		}
		if t, ok := date(l[d[2]:d[3]], l[d[4]:d[5]], l[d[6]:d[7]], today); ok {
			days = append(days, at{t, d[0]})
		}
	}
	if m := weekOfRe.FindStringSubmatch(l); m != nil && len(days) == 0 {
		first, ok := date(m[3], month(m[2]), "1", today)
		if !ok {
			return from, to, false
		}
		weeks := map[string]int{"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}
		start := first.AddDate(0, 0, 7*weeks[m[1]])
		if m[1] == "last" { // the month's last 7 days
			start = first.AddDate(0, 1, -7)
		}
		end := start.AddDate(0, 0, 6)
		if end.After(today) {
			end = today
		}
		return start, end, !start.After(today)
	}
	if len(days) == 0 {
		for _, m := range dayRangeRe.FindAllStringSubmatch(l, -1) { // "nov 10-20", "10 to 20 november"
			name, d1, d2 := m[1]+m[7], m[2]+m[5], m[3]+m[6]
			year := m[4] + m[8]
			first, ok1 := date(year, month(name), d1, today)
			last, ok2 := date(year, month(name), d2, today)
			if ok1 && ok2 && !last.Before(first) {
				return first, last, true
			}
		}
		for _, d := range monthDayRe.FindAllStringSubmatchIndex(l, -1) {
			if t, ok := date(group(l, d, 3), month(group(l, d, 1)), group(l, d, 2), today); ok {
				days = append(days, at{t, d[0]})
			}
		}
		for _, d := range dayMonthRe.FindAllStringSubmatchIndex(l, -1) {
			if t, ok := date(group(l, d, 3), month(group(l, d, 2)), group(l, d, 1), today); ok {
				days = append(days, at{t, d[0]})
			}
		}
		for _, d := range holidayRe.FindAllStringSubmatchIndex(l, -1) {
			if t, ok := holiday(group(l, d, 1), group(l, d, 2), today); ok {
				days = append(days, at{t, d[0]})
			}
		}
		slices.SortStableFunc(days, func(a, b at) int { return a.start - b.start }) // "since black friday", "between nov 20 and thanksgiving"
	}
	switch {
	case len(days) >= 2:
		a, b := days[0].day, days[1].day
		if b.Before(a) {
			a, b = b, a
		}
		return a, b, true
	case len(days) == 1:
		d := days[0]
		if sinceRe.MatchString(l[:d.start]) && d.day.Before(today) { // "since Nov 10": to today
			return d.day, today, true
		}
		return d.day, d.day, true
	}
	if model.OneWeekend(l) {
		// The latest Saturday and Sunday: this weekend so far on a weekend day, unless it
		// asks for the last one.
		sat := today.AddDate(0, 0, -((int(today.Weekday()) + 1) % 7))
		if !today.After(sat.AddDate(0, 0, 1)) && has(l, "last", "past", "previous") {
			sat = sat.AddDate(0, 0, -7)
		}
		sun := sat.AddDate(0, 0, 1)
		if sun.After(today) {
			sun = today
		}
		return sat, sun, true
	}
	if m := weekdayRe.FindStringSubmatch(l); m != nil && !(dayNames(l) >= 2 && has(l, "compar", " vs", "versus", " than ", "against", "difference")) {
		// Two days of the week set against each other are days of the week, not dates.
		// The latest such day: today for "on Thursday" asked on a Thursday, a week ago for
		// "last Thursday".
		back := (int(today.Weekday()) - weekday(m[2]) + 7) % 7
		if back == 0 && m[1] != "on" {
			back = 7
		}
		d := today.AddDate(0, 0, -back)
		return d, d, true
	}
	switch {
	case has(l, "yesterday"):
		y := today.AddDate(0, 0, -1)
		return y, y, true
	case has(l, "today"):
		return today, today, true
	case has(l, "this month", "month to date", "month-to-date", "so far this month"):
		return today.AddDate(0, 0, 1-today.Day()), today, true
	case has(l, "this week", "week to date", "week-to-date"):
		// From Monday (UTC), as the weeks of a ranking by week are.
		return today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7)), today, true
	case has(l, "this year", "year to date", "year-to-date", "ytd"):
		return time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC), today, true
	}
	if m := monthRe.FindStringSubmatch(l); m != nil {
		name, year := m[1]+m[3]+m[5], m[2]+m[4]
		first, ok := date(year, month(name), "1", today)
		if !ok {
			return from, to, false
		}
		last := first.AddDate(0, 1, -1)
		if last.After(today) || has(l, "since "+name) { // "since November": to today
			last = today
		}
		return first, last, true
	}
	return from, to, false
}

// holiday is the UTC day of a holiday that falls on the same day everywhere, named as
// holidayRe matches it, in year y; without a year, the latest not after today. Thanksgiving and
// the days after it are the United States' (the fourth Thursday of November), as shops and
// their traffic know them.
func holiday(name, y string, today time.Time) (time.Time, bool) {
	name = strings.NewReplacer("’", "", "'", "").Replace(name)
	on := func(year int) time.Time {
		d := func(m time.Month, day int) time.Time { return time.Date(year, m, day, 0, 0, 0, 0, time.UTC) }
		thanksgiving := func() time.Time {
			first := d(time.November, 1)
			return first.AddDate(0, 0, (int(time.Thursday)-int(first.Weekday())+7)%7+21)
		}
		switch {
		case strings.HasPrefix(name, "black friday"):
			return thanksgiving().AddDate(0, 0, 1)
		case strings.HasPrefix(name, "cyber monday"):
			return thanksgiving().AddDate(0, 0, 4)
		case strings.HasPrefix(name, "thanksgiving"):
			return thanksgiving()
		case name == "christmas eve":
			return d(time.December, 24)
		case strings.HasPrefix(name, "christmas"), name == "xmas":
			return d(time.December, 25)
		case name == "boxing day":
			return d(time.December, 26)
		case name == "new years eve":
			return d(time.December, 31)
		case strings.HasPrefix(name, "new year"):
			return d(time.January, 1)
		case name == "halloween":
			return d(time.October, 31)
		case strings.HasPrefix(name, "valentine"):
			return d(time.February, 14)
		}
		return time.Time{}
	}
	if y != "" {
		year, err := strconv.Atoi(y)
		t := on(year)
		return t, err == nil && !t.IsZero()
	}
	t := on(today.Year())
	if t.After(today) {
		t = on(today.Year() - 1)
	}
	return t, !t.IsZero()
}

// group is submatch i of a FindAllStringSubmatchIndex match, or "" when it did not take part.
func group(l string, m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return l[m[2*i]:m[2*i+1]]
}

// weekday is the time.Weekday, as a number, of a day's name.
func weekday(name string) int {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), name) {
			return int(d)
		}
	}
	return 0
}

// month is the number, as text, of a month's name or abbreviation.
func month(name string) string {
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(name, m) {
			return strconv.Itoa(i + 1)
		}
	}
	return ""
}

// date is the UTC day of y-m-d; without a year, the latest such day not after today's month.
func date(y, m, d string, today time.Time) (time.Time, bool) {
	mo, err1 := strconv.Atoi(m)
	day, err2 := strconv.Atoi(d)
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	year := today.Year()
	if y != "" {
		year, _ = strconv.Atoi(y)
	} else if time.Month(mo) > today.Month() {
		year-- // "in November", asked in January: last year's
	}
	t := time.Date(year, time.Month(mo), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day { // February 30th
		return time.Time{}, false
	}
	return t, true
}
