package checker

func (a *analysis) linearizability() {}
