//go:build race

package quorum_test

// raceEnabled builds the zabd processes of the process tests with -race
// when the tests themselves run with it; their logs are checked for data
// races.
const raceEnabled = true
