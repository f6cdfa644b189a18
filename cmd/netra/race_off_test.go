//go:build !race

package main

// raceDetector says whether the race detector instruments this build (see race_on_test.go).
const raceDetector = false
