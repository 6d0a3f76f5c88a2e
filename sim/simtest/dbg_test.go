package simtest_test

import (
	"fmt"
	"testing"
	"time"

	"logsim/sim/simtest"
)

func TestDebugDurable(t *testing.T) {
	h, err := simtest.NewHarness(simtest.Command{Name: "cluster", Args: []simtest.Arg{{Key: "brokers", Value: "3"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"create-topic durable partitions=1 rf=3 flush.messages=1", "producer p1 acks=all", "produce p1 durable/0 values=11..13"} {
		cmd := parse(c)
		out, err := h.Run(cmd)
		fmt.Println(c, "=>", out, err)
	}
	h.Sim.RunFor(time.Second)
	for _, c := range []string{"results p1", "print-isr durable/0", "print-log b1 durable/0", "print-log b2 durable/0"} {
		out, err := h.Run(parse(c))
		fmt.Println(c, "=>", out, err)
	}
}
