//go:build race

package main

// raceDetector says whether the race detector instruments this build: big tests then use
// smaller inputs.
const raceDetector = true
