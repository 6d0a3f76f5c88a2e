package simtest

import (
	"logsim/broker/client"
	"logsim/broker/node"
)

// Client is a client node for tests: it may host a Producer, records every send's
// outcome, and keeps any other response it receives (the admin requests the harness
// sends for it).
type Client struct {
	// ProducerConfig, if set before Start, makes the client host a Producer.
	ProducerConfig *client.ProducerConfig
	// Producer is the hosted producer (nil without ProducerConfig).
	Producer *client.Producer
	// Results are the completed sends, in completion order.
	Results []SendResult
	// Responses are the messages received that no component consumed.
	Responses []node.Message

	env node.Env
}

// SendResult is one completed send.
type SendResult struct {
	Value  int64
	Result client.Result
}

// Start builds the producer.
func (c *Client) Start(env node.Env, restart bool) {
	c.env = env
	if c.ProducerConfig != nil {
		c.Producer = client.NewProducer(env, *c.ProducerConfig)
	}
}

// Handle passes events to the producer and keeps the rest.
func (c *Client) Handle(ev node.Event) {
	if c.Producer != nil && c.Producer.Handle(ev) {
		return
	}
	if ev.Kind == node.Recv {
		c.Responses = append(c.Responses, ev.Msg)
	}
}

// Send sends a record through the producer and records its outcome.
func (c *Client) Send(rec client.Record) {
	c.Producer.Send(rec, func(r client.Result) {
		c.Results = append(c.Results, SendResult{Value: rec.Value, Result: r})
	})
}

// Env is the client's environment (to send raw requests).
func (c *Client) Env() node.Env { return c.env }
