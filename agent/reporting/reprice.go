package reporting

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/netra-ai/netra/agent/data"
	"github.com/netra-ai/netra/agent/triage"
)

// writePriceChange answers a change of list prices ("what if the price of gpt-4o went up
// 20%?", "… if openai doubled its prices?"): what the scope's requests in the window would
// have cost at those prices, against what they cost, and the change's share of the whole
// spend. Cost is linear in the prices (cached input and the batch discount scale with them),
// so that is the scope's spend times the factor (triage.Output.PriceFactor): the models named,
// else the providers, else all.
func writePriceChange(b *strings.Builder, t triage.Output, d data.Output) {
	factor, label, whole := t.PriceFactor, t.Window.In(), d.Totals.CostUSD
	if d.Whole != nil {
		whole = d.Whole.CostUSD
	}
	what, spent, n := "every model", d.Totals.CostUSD, d.Totals.Requests
	switch {
	case len(t.Models) > 0:
		what = strings.Join(t.Models, ", ")
	case len(t.Providers) > 0:
		what, spent, n = strings.Join(t.Providers, ", "), 0, 0
		for _, g := range d.SpendByProvider {
			if slices.ContainsFunc(t.Providers, func(p string) bool { return strings.EqualFold(p, g.Provider) }) {
				spent, n = spent+g.CostUSD, n+g.Requests
			}
		}
	}
	changed := fmt.Sprintf("rose %.0f%%", 100*(factor-1))
	switch {
	case factor == 2:
		changed = "doubled"
	case factor == 3:
		changed = "tripled"
	case factor < 1:
		changed = fmt.Sprintf("fell %.0f%%", 100*(1-factor))
	}
	if n == 0 {
		fmt.Fprintf(b, "You have no requests on %s %s, so if its list prices %s your spend would not change.\n", what, label, changed)
		return
	}
	delta, more := spent*(factor-1), "more"
	if delta < 0 {
		more = "less"
	}
	fmt.Fprintf(b, "If the list prices of %s %s, your %d requests on %s %s would have cost **%s** instead of %s: **%s %s**, %.1f%% of your %s spend %s.\n",
		what, changed, n, what, label, money(spent*factor), money(spent), money(math.Abs(delta)), more, 100*math.Abs(delta)/max(whole, 1e-9), money(whole), label)
	if days := t.Window.Days(); days > 0 && math.Abs(days-30) > 1 {
		fmt.Fprintf(b, "At this window's rate that is about %s a month %s.\n", money(math.Abs(delta)*30/days), more)
	}
	b.WriteString("\nEvery price of the table scales alike: input, cached input, output and the batch API's.\n")
}
