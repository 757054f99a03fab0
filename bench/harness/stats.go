package main

import (
	"slices"
	"time"
)

// median of xs; NaN-free: an empty slice gives 0.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// percentile of an ascending slice (nearest rank below).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p/100)]
}

// maxSpread is the widest relative spread (max − min) ÷ median a ratio may
// have before the report marks it noisy.
const maxSpread = 0.05

// summary is a figure over the rounds: its median and its range.
type summary struct {
	med, min, max float64
	n             int // values summarised; 0 means none
}

// summarize gives the median, minimum and maximum of xs.
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	return summary{med: median(xs), min: slices.Min(xs), max: slices.Max(xs), n: len(xs)}
}

// spread is (max − min) ÷ median, 0 for fewer than two values or a zero
// median.
func (s summary) spread() float64 {
	if s.n < 2 || s.med == 0 {
		return 0
	}
	return (s.max - s.min) / s.med
}

// noisy reports whether the spread exceeds maxSpread.
func (s summary) noisy() bool { return s.spread() > maxSpread }

// ratiosPerRound divides num's value by den's within each round both
// measured (a round either of them lost is left out), in round order.
func ratiosPerRound[T any](num, den *outcome[T], f func(T) float64) []float64 {
	if num == nil || den == nil {
		return nil
	}
	byRound := map[int]float64{}
	for i, v := range den.rounds {
		byRound[den.round[i]] = f(v)
	}
	var qs []float64
	for i, v := range num.rounds {
		d, ok := byRound[num.round[i]]
		if !ok || d == 0 {
			continue
		}
		qs = append(qs, f(v)/d)
	}
	return qs
}
