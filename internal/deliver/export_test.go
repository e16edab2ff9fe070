package deliver

// SendersStarted is how many sender goroutines the worker has started.
func (w *Worker) SendersStarted() int64 { return w.sendersStarted.Load() }
