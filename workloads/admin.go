package workloads

import "logsim/broker/node"

// Admin is the harness's administrative client node (Kafka's AdminClient): the runner
// sends requests through it (CreateTopics) and reads the responses it keeps.
type Admin struct {
	env node.Env
	// Responses are the messages received, oldest first.
	Responses []node.Message
}

// Start keeps the environment.
func (a *Admin) Start(env node.Env, restart bool) { a.env = env }

// Handle keeps every response.
func (a *Admin) Handle(ev node.Event) {
	if ev.Kind == node.Recv {
		a.Responses = append(a.Responses, ev.Msg)
	}
}

// Send sends m to the node to; call it as a handler of the admin node (sim.Post).
func (a *Admin) Send(to node.ID, m node.Message) { a.env.Send(to, m) }
