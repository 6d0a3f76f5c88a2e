package main

import (
	"errors"

	"github.com/spf13/pflag"

	"logsim/scenarios"
)

// ombFlags are logsim run's flags for OpenMessaging Benchmark files.
type ombFlags struct {
	workload, driver *string
}

// addOMBFlags registers --omb-workload and --omb-driver on fs.
func addOMBFlags(fs *pflag.FlagSet) ombFlags {
	return ombFlags{
		workload: fs.String("omb-workload", "", "run an OpenMessaging Benchmark workload file (W.yaml) instead of a scenario FILE"),
		driver:   fs.String("omb-driver", "", "with --omb-workload: OMB's Kafka driver file (D.yaml): replication factor, topic, producer and consumer properties"),
	}
}

// given reports whether either flag was given.
func (o ombFlags) given() bool { return *o.workload != "" || *o.driver != "" }

// scenario maps the OMB files onto a scenario, with the --set overrides, when the
// flags were given (used is false otherwise). args are the command's positional
// arguments, which must be empty then.
func (o ombFlags) scenario(args, sets []string) (s *scenarios.Scenario, used bool, err error) {
	if !o.given() {
		return nil, false, nil
	}
	if *o.workload == "" {
		return nil, true, errors.New("logsim run: --omb-driver needs --omb-workload (the workload file says what load to run)")
	}
	if len(args) > 0 {
		return nil, true, errors.New("logsim run: give either a scenario FILE or --omb-workload, not both")
	}
	s, err = ombScenario(*o.workload, *o.driver, sets)
	return s, true, err
}

// ombScenario maps an OMB workload file and an optional Kafka driver file ("" for
// none) onto a scenario, then applies the --set overrides.
func ombScenario(workload, driver string, sets []string) (*scenarios.Scenario, error) {
	return scenarios.FromOMB(workload, driver, sets...)
}
