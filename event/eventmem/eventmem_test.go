package eventmem_test

import (
	"testing"

	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/event/eventmem"
	"github.com/netra-ai/netra/event/eventtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	eventtest.Run(t, func(*testing.T) event.Bus { return eventmem.New() })
}
