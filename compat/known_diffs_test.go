package compat

import "os"

// envStrict makes known differences fail like any other.
const envStrict = "ZABD_COMPAT_STRICT"

// zabdKnownDiffs lists the scenarios in which zabd is known to answer
// differently from ZooKeeper 3.8.0, with the difference in a line. Against
// zabd (and only zabd) such a scenario logs its diff instead of failing,
// unless ZABD_COMPAT_STRICT is set; every other scenario must match. A
// listed scenario that matches is reported so that its entry is removed.
// This list is the to-do list of wire compatibility: shrink it, never grow
// it to silence a regression.
var zabdKnownDiffs = map[string]string{
	"watch2_one_shot_after_persistent_same_path": "3.8.0's WatcherModeManager keeps one mode per watcher and path, so a one-shot getData watch turns a persistent watch's data half one-shot; zabd keeps both, as 3.9 does (ZOOKEEPER-4466)",
	"watch2_check_watches_persistent_as_data":    "3.8.0 counts a persistent watch as a data and a child watch for checkWatches and removeWatches (DATA removes its data half); zabd matches STANDARD watches only, as 3.9 does",
	"watch2_check_watches_other_session":         "3.8.0's WatchManager.containsWatcher reports any session's watch on the path; zabd only the caller's, as 3.9 does",
	"watch2_remove_and_check_persistent_types":   "3.8.0 has no WatcherType 4 and 5 (MarshallingError); zabd serves PERSISTENT and PERSISTENT_RECURSIVE as 3.9 does (ZOOKEEPER-4472), as issue 4 asks",
}

// strict reports whether known differences fail.
func strict() bool { return os.Getenv(envStrict) != "" }
