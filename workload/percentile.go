package workload

import (
	"math"
	"math/bits"
	"slices"
)

// dist summarizes v (reordering it) with nearest-rank percentiles: the ceil(p·n)-th smallest
// value. It selects the three ranks instead of sorting: O(n) on average, which matters at a
// million values a series and half a dozen series a report.
func dist(v []float32, sum float64) Dist {
	n := len(v)
	if n == 0 {
		return Dist{}
	}
	rank := func(p float64) int { return max(int(math.Ceil(p*float64(n)))-1, 0) }
	i50, i95, i99 := rank(0.50), rank(0.95), rank(0.99)
	// After selecting rank k, v[:k] holds the k smallest values: each lower rank is selected
	// within that prefix.
	selectRank(v, i99)
	selectRank(v[:i99+1], i95)
	selectRank(v[:i95+1], i50)
	return Dist{Count: int64(n), Mean: sum / float64(n), P50: float64(v[i50]), P95: float64(v[i95]), P99: float64(v[i99]),
		Max: float64(slices.Max(v[i99:]))}
}

// selectRank reorders v so that v[k] is the value a sort would put there, with no larger value
// before it and no smaller one after. Quickselect with a median-of-three pivot; a range that
// keeps failing to shrink is sorted instead, which bounds the worst case at O(n log n).
func selectRank(v []float32, k int) {
	lo, hi := 0, len(v)-1
	for budget := 2 * bits.Len(uint(len(v))); hi > lo; budget-- {
		if budget == 0 || hi-lo < 16 {
			slices.Sort(v[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		// Order v[lo], v[mid], v[hi]; the median is the pivot.
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		// Hoare partition: afterwards v[lo..j] ≤ pivot ≤ v[i..hi], and i > j.
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default: // j < k < i: v[k] equals the pivot and sits where a sort would put it
			return
		}
	}
}
