package txnlog

// SetWriteBatch switches l's Append to badger.WriteBatch, for the benchmark
// that compares it with transactions.
func SetWriteBatch(l *Log, on bool) { l.writeBatch = on }
