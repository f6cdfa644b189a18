package workload

import (
	"math"
	"time"
)

// CombineMethod says, in the report, how the recommendations' savings were added up.
const CombineMethod = "Savings are combined, not summed: each recommendation, largest first, is applied to the spend its model has left after the ones before it (a recommendation without a model acts on all of it), so no total exceeds the spend it acts on."

// Combine adds up monthly savings that may act on the same traffic. The recommendations are
// taken largest first; each one's saving is scaled to the share of its model's monthly spend
// that the ones before it left (a recommendation scoped to no model, such as retry waste,
// acts on every model's remaining spend in proportion), and never takes more than what is
// left. It sets each recommendation's CombinedSavingsUSD and returns the total, which never
// exceeds monthlySpend; recs must be sorted by MonthlySavingsUSD, largest first, as Recommend
// returns them. spendByModel is each model's monthly spend.
func Combine(recs []Recommendation, spendByModel map[string]float64) float64 {
	left := make(map[string]float64, len(spendByModel))
	var all float64
	for m, v := range spendByModel {
		left[m] = v
		all += v
	}
	var total float64
	for i := range recs {
		r := &recs[i]
		var applied float64
		if r.Scope.Model != "" {
			// A model without spend here has nothing to save.
			if base := spendByModel[r.Scope.Model]; base > 0 {
				applied = math.Min(r.MonthlySavingsUSD*left[r.Scope.Model]/base, left[r.Scope.Model])
				left[r.Scope.Model] -= applied
			}
		} else if all > 0 {
			var remaining float64
			for _, v := range left {
				remaining += v
			}
			applied = math.Min(r.MonthlySavingsUSD*remaining/all, remaining)
			if remaining > 0 {
				for m, v := range left {
					left[m] = v - applied*v/remaining
				}
			}
		}
		r.CombinedSavingsUSD = Cents(applied)
		total += applied
	}
	return math.Min(Cents(total), Cents(all))
}

// coveredDays is how many days of the window the records cover: from the first day with data
// to the last, at most the window's length. Run-rates divide by it, not by the window: records
// on 6 days of a 30-day window are 6 days of traffic, not 30.
func coveredDays(w Window, days []Spend) float64 {
	if len(days) == 0 {
		return 0
	}
	first, last := days[0].Key, days[0].Key
	for _, d := range days {
		first, last = min(first, d.Key), max(last, d.Key)
	}
	f, err1 := time.Parse("2006-01-02", first)
	l, err2 := time.Parse("2006-01-02", last)
	if err1 != nil || err2 != nil {
		return w.Days()
	}
	return math.Min(l.Sub(f).Hours()/24+1, w.Days())
}

// MonthFactor is what multiplies the window's figures into a 30-day run-rate: 30 over the
// days the data covers (0 without data).
func (s Stats) MonthFactor() float64 {
	if s.CoveredDays <= 0 {
		return 0
	}
	return 30 / s.CoveredDays
}

// MinorShare is the share of the monthly spend under which a recommendation is minor: it is
// not listed on its own, only counted, with the others, on one line.
const MinorShare = 0.005

// SplitMinor separates the recommendations that save less than MinorShare of the monthly spend
// (latency items, which save time rather than money, are never minor). Both keep their order.
func SplitMinor(recs []Recommendation, monthlySpend float64) (kept, minor []Recommendation) {
	kept, minor = []Recommendation{}, []Recommendation{}
	for _, r := range recs {
		if r.Type != TypeLatency && r.MonthlySavingsUSD < MinorShare*monthlySpend {
			minor = append(minor, r)
		} else {
			kept = append(kept, r)
		}
	}
	return kept, minor
}
