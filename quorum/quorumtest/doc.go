// Package quorumtest holds the randomized simulation of whole ensembles —
// Fast Leader Election (quorum/election) and ZAB (quorum/zab) together, glued
// as package quorum glues them — on a simulated network with message loss,
// reordering, partitions, broken connections, crashes and restarts, with
// clients whose histories are checked for linearizable writes
// (github.com/anishathalye/porcupine) and sequentially consistent reads.
//
// It has no non-test code: see sim_test.go for the model, the faults, the
// invariants checked as the simulation runs, and how to replay one seed.
package quorumtest
