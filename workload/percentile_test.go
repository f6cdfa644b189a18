package workload

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The selected percentiles equal the sorted ones, on random series with many ties and on
// sorted, reversed and constant ones (the inputs that break a naive quickselect).
func TestDistMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := func(v []float32) Dist {
		s := slices.Clone(v)
		slices.Sort(s)
		r := func(p float64) float64 { return float64(s[max(int(math.Ceil(p*float64(len(s))))-1, 0)]) }
		return Dist{Count: int64(len(s)), P50: r(0.5), P95: r(0.95), P99: r(0.99), Max: float64(s[len(s)-1])}
	}
	for n := 1; n < 3000; n += 1 + n/7 {
		for shape := range 5 {
			v := make([]float32, n)
			for i := range v {
				switch shape {
				case 0:
					v[i] = float32(rng.IntN(10))
				case 1:
					v[i] = rng.Float32() * 1e4
				case 2:
					v[i] = float32(i)
				case 3:
					v[i] = float32(n - i)
				case 4:
					v[i] = 7
				}
			}
			w := want(v)
			got := dist(v, 0)
			got.Mean = 0
			if got != w {
				t.Fatalf("n=%d shape %d: got %+v, want %+v", n, shape, got, w)
			}
		}
	}
}
