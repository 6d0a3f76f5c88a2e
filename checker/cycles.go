package checker

func (a *analysis) cycles() {}
