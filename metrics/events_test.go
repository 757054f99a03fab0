package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/engine/plugins"
)

// The event counters count what their channels publish, no more.
func TestEventCounters(t *testing.T) {
	b := engine.New()
	e := newEventMetrics()
	e.subscribe(b)
	ctx := context.Background()
	for _, ch := range []string{plugins.ChannelUpgrade, plugins.ChannelUpgrade, plugins.ChannelHandedOver} {
		_, err := b.Publish(ctx, ch, nil)
		require.NoError(t, err)
	}
	assert.False(t, e.stopRequested.Load())
	_, err := b.Publish(ctx, plugins.ChannelStopRequested, time.Second)
	require.NoError(t, err)
	assert.True(t, e.stopRequested.Load())

	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(e))
	fams, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range fams {
		got[f.GetName()] = f.GetMetric()[0].GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{
		"cherrygo_reloads_total":              0,
		"cherrygo_upgrades_total":             2,
		"cherrygo_upgrades_handed_over_total": 1,
	}, got)
}
