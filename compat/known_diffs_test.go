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
	"create_mode_opcode_mismatch":               "createContainer with a non-container flag: ZooKeeper creates a container, zabd answers BadArguments",
	"invalid_paths_create":                      "U+007F in a path: ZooKeeper rejects U+007F..U+009F (PathUtils.validatePath), zabd accepts it",
	"invalid_paths_create_sequential":           "U+007F in a path is accepted by zabd",
	"invalid_paths_create2_container":           "U+007F in a path is accepted by zabd",
	"invalid_paths_create_ttl":                  "U+007F in a path is accepted by zabd",
	"invalid_paths_multi":                       "U+007F in a path is accepted by zabd",
	"invalid_paths_set_data":                    "setData on a path with U+007F: ZooKeeper BadArguments, zabd NoNode",
	"invalid_paths_get_data":                    "reads do not validate paths in ZooKeeper (NoNode), zabd answers BadArguments",
	"invalid_paths_exists":                      "exists validates only the null character in ZooKeeper (else NoNode), zabd answers BadArguments",
	"invalid_paths_get_children":                "reads do not validate paths in ZooKeeper (NoNode), zabd answers BadArguments",
	"invalid_paths_get_children2":               "reads do not validate paths in ZooKeeper (NoNode), zabd answers BadArguments",
	"invalid_paths_sync_and_acl":                "sync echoes the path as Java decoded it (invalid UTF-8 becomes U+FFFD); getACL does not validate",
	"invalid_paths_all_children_and_ephemerals": "getAllChildrenNumber/getEphemerals do not validate paths in ZooKeeper",
	"watch_persistent":                          "addWatch reply lacks ZooKeeper's 4-byte ErrorResponse body; zabd sends PersistentWatchRemoved on removeWatches",
	"watch_persistent_recursive":                "addWatch reply lacks ZooKeeper's 4-byte ErrorResponse body",
	"watch_remove_and_check":                    "zabd sends DataWatchRemoved/ChildWatchRemoved events on removeWatches; ZooKeeper sends none (the Java client makes them)",
	"session_reconnect_wrong_password":          "ZooKeeper closes the session's live connection before checking a reconnect's password; zabd keeps it",
	"session_set_watches_nothing_changed":       "setWatches with null lists: ZooKeeper MarshallingError (after registering the data watches), zabd ok",
	"notification_opcode_from_client":           "opcode 0: ZooKeeper answers Unimplemented with zxid -1 and closes; zabd answers with the last zxid and keeps the connection",
	"truncated_request_body":                    "a request whose body is cut short: ZooKeeper answers MarshallingError and keeps the connection; zabd closes it",
	"system_nodes":                              "reads of \"\" resolve to the root in ZooKeeper; zabd answers BadArguments",
}

// strict reports whether known differences fail.
func strict() bool { return os.Getenv(envStrict) != "" }
