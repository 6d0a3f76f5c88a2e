package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"logsim/faults"
	"logsim/workloads"
)

// InstanceName is the name of instance i of a producer or consumer entry: NAME-I, as
// selectors and reports call it.
func InstanceName(name string, i int) string { return name + "-" + strconv.Itoa(i) }

// Arrivals returns the intended send times of producer instance i, drawn from r: the
// entry's rate split evenly among its instances and staggered so that together they are
// evenly spaced. It returns nil for a closed-loop producer.
func (p *Producer) Arrivals(i int, r *rand.Rand) *workloads.Arrivals {
	if i < 0 || i >= p.Count {
		panic(fmt.Sprintf("scenarios: producer %s has no instance %d", p.Name, i))
	}
	if p.Rate.ClosedLoop() {
		return nil
	}
	return p.Rate.Split(p.Count).Arrivals(r, float64(i+1)/float64(p.Count))
}

// Partition names one partition of a topic.
type Partition struct {
	Topic     string
	Partition int32
}

// String prints TOPIC/P, the history's key for the partition.
func (p Partition) String() string { return p.Topic + "/" + strconv.Itoa(int(p.Partition)) }

// Assignment returns the partitions consumer instance i reads in assign mode: the
// entry's assign list expanded (a bare topic means all its partitions) and dealt to the
// instances round-robin. It returns nil for a subscribing consumer.
func (s *Scenario) Assignment(c *Consumer, i int) []Partition {
	if i < 0 || i >= c.Count {
		panic(fmt.Sprintf("scenarios: consumer %s has no instance %d", c.Name, i))
	}
	var all []Partition
	for _, a := range c.Assign {
		if !strings.Contains(a, "/") {
			for _, t := range s.Topics {
				if t.Name == a {
					for p := 0; p < t.Partitions; p++ {
						all = append(all, Partition{a, int32(p)})
					}
				}
			}
			continue
		}
		topic, p, err := faults.ParsePartition(a)
		if err != nil {
			panic(fmt.Sprintf("scenarios: assign %q passed validation: %v", a, err))
		}
		all = append(all, Partition{topic, p})
	}
	var mine []Partition
	for j, p := range all {
		if j%c.Count == i {
			mine = append(mine, p)
		}
	}
	return mine
}
