//go:build !race

package node_test

// raceDetector says whether the race detector instruments this build (see race_on_test.go).
const raceDetector = false
