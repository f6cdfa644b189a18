//go:build race

package node_test

// raceDetector says whether the race detector instruments this build: it slows everything
// by 5–10×, so timing bounds are checked in the build without it (.ci/run runs both).
const raceDetector = true
