package config

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// valueKind says how an ignored key's value is still checked: ZooKeeper's
// QuorumPeerConfig.parseProperties rejects a bad value for some keys even
// though zabd ignores them, and a file ZooKeeper refuses should not start.
type valueKind int

const (
	anyValue valueKind = iota
	boolValue
	intValue
	longValue
)

// ignoredKey is a key ZooKeeper documents and zabd accepts without acting on it.
type ignoredKey struct {
	kind   valueKind
	reason string // appended to the warning, e.g. "no TLS"
}

const (
	noTLS          = "zabd has no TLS"
	noSASL         = "zabd has no SASL or Kerberos"
	noReconfig     = "zabd has no dynamic reconfiguration"
	noHierarchical = "zabd uses majority quorums"
)

// ignoredKeys are the documented zoo.cfg keys zabd ignores, named as they are
// written in zoo.cfg: the keys QuorumPeerConfig.parseProperties reads itself,
// and the Java system properties "zookeeper.<key>" of zookeeperAdmin.md
// (release-3.9.5), which ZooKeeper sets from any other zoo.cfg key. Where the
// documentation's name differs from its property, both are listed.
var ignoredKeys = map[string]ignoredKey{
	// Read by QuorumPeerConfig.parseProperties.
	"localSessionsEnabled":                    {kind: boolValue},
	"localSessionsUpgradingEnabled":           {kind: boolValue},
	"secureClientPort":                        {kind: intValue, reason: noTLS},
	"secureClientPortAddress":                 {reason: noTLS},
	"observerMasterPort":                      {kind: intValue},
	"clientPortListenBacklog":                 {kind: intValue},
	"connectToLearnerMasterLimit":             {kind: intValue},
	"syncEnabled":                             {kind: boolValue},
	"reconfigEnabled":                         {kind: boolValue, reason: noReconfig},
	"sslQuorum":                               {kind: boolValue, reason: noTLS},
	"portUnification":                         {kind: boolValue, reason: noTLS},
	"sslQuorumReloadCertFiles":                {kind: boolValue, reason: noTLS},
	"quorum.auth.enableSasl":                  {kind: boolValue, reason: noSASL},
	"quorum.auth.serverRequireSasl":           {kind: boolValue, reason: noSASL},
	"quorum.auth.learnerRequireSasl":          {kind: boolValue, reason: noSASL},
	"quorum.auth.learner.saslLoginContext":    {reason: noSASL},
	"quorum.auth.server.saslLoginContext":     {reason: noSASL},
	"quorum.auth.kerberos.servicePrincipal":   {reason: noSASL},
	"quorum.cnxn.threads.size":                {kind: intValue},
	"jvm.pause.info-threshold.ms":             {kind: longValue},
	"jvm.pause.warn-threshold.ms":             {kind: longValue},
	"jvm.pause.sleep.time.ms":                 {kind: longValue},
	"jvm.pause.monitor":                       {kind: boolValue},
	"metricsProvider.className":               {},
	"multiAddress.reachabilityCheckTimeoutMs": {kind: intValue},
	"multiAddress.reachabilityCheckEnabled":   {kind: boolValue},
	"oraclePath":                              {},
	"version":                                 {reason: noReconfig},

	// System properties documented in zookeeperAdmin.md.
	"preAllocSize":                                          {},
	"commitLogCount":                                        {},
	"snapSizeLimitInKb":                                     {},
	"txnLogSizeLimitInKb":                                   {},
	"maxCnxns":                                              {},
	"fsync.warningthresholdms":                              {},
	"maxResponseCacheSize":                                  {},
	"maxGetChildrenResponseCacheSize":                       {},
	"observer.syncEnabled":                                  {},
	"emulate353TTLNodes":                                    {},
	"watchManagerName":                                      {},
	"watcherCleanThreadsNum":                                {},
	"watcherCleanThreshold":                                 {},
	"watcherCleanIntervalInSeconds":                         {},
	"maxInProcessingDeadWatchers":                           {},
	"bitHashCacheSize":                                      {},
	"fastleader.minNotificationInterval":                    {},
	"fastleader.maxNotificationInterval":                    {},
	"connectionMaxTokens":                                   {},
	"connectionTokenFillTime":                               {},
	"connectionTokenFillCount":                              {},
	"connectionFreezeTime":                                  {},
	"connectionDropIncrease":                                {},
	"connectionDropDecrease":                                {},
	"connectionDecreaseRatio":                               {},
	"connection_throttle_tokens":                            {},
	"connection_throttle_fill_time":                         {},
	"connection_throttle_fill_count":                        {},
	"connection_throttle_freeze_time":                       {},
	"connection_throttle_drop_increase":                     {},
	"connection_throttle_drop_decrease":                     {},
	"connection_throttle_decrease_ratio":                    {},
	"connection_throttle_weight_enabled":                    {},
	"connection_throttle_global_session_weight":             {},
	"connection_throttle_local_session_weight":              {},
	"connection_throttle_renew_session_weight":              {},
	"serverCnxnFactory":                                     {},
	"flushDelay":                                            {},
	"maxWriteQueuePollTime":                                 {},
	"maxBatchSize":                                          {},
	"requestThrottleLimit":                                  {},
	"requestThrottleStallTime":                              {},
	"requestThrottleDropStale":                              {},
	"requestStaleLatencyCheck":                              {},
	"requestStaleConnectionCheck":                           {},
	"request_throttle_max_requests":                         {},
	"request_throttle_stall_time":                           {},
	"request_throttle_drop_stale":                           {},
	"request_stale_latency_check":                           {},
	"request_stale_connection_check":                        {},
	"request_throttler.shutdownTimeout":                     {},
	"advancedFlowControlEnabled":                            {},
	"netty.advancedFlowControl.enabled":                     {},
	"enableEagerACLCheck":                                   {},
	"maxConcurrentSnapSyncs":                                {},
	"maxConcurrentDiffSyncs":                                {},
	"leader.maxConcurrentSnapSyncs":                         {},
	"leader.maxConcurrentDiffSyncs":                         {},
	"digest.enabled":                                        {},
	"snapshot.compression.method":                           {},
	"snapshot.trust.empty":                                  {},
	"audit.enable":                                          {},
	"audit.impl.class":                                      {},
	"largeRequestMaxBytes":                                  {},
	"largeRequestThreshold":                                 {},
	"outstandingHandshake.limit":                            {reason: noTLS},
	"netty.server.outstandingHandshake.limit":               {reason: noTLS},
	"netty.server.earlyDropSecureConnectionHandshakes":      {reason: noTLS},
	"throttledOpWaitTime":                                   {},
	"throttled_op_wait_time":                                {},
	"learner.closeSocketAsync":                              {},
	"leader.closeSocketAsync":                               {},
	"learner.asyncSending":                                  {},
	"forward_learner_requests_to_commit_processor_disabled": {},
	"serializeLastProcessedZxid.enabled":                    {},
	"maxTimeToWaitForEpoch":                                 {},
	"leader.maxTimeToWaitForEpoch":                          {},
	"leaderServes":                                          {},
	"quorumCnxnTimeoutMs":                                   {},
	"tcpKeepAlive":                                          {},
	"clientTcpKeepAlive":                                    {},
	"electionPortBindRetry":                                 {},
	"observer.reconnectDelayMs":                             {},
	"observer.election.DelayMs":                             {},
	"DigestAuthenticationProvider.enabled":                  {},
	"DigestAuthenticationProvider.digestAlg":                {},
	"IPAuthenticationProvider.usexforwardedfor":             {},
	"X509AuthenticationProvider.superUser":                  {reason: noTLS},
	"superUser":                                             {},
	"ensembleAuthName":                                      {},
	"sessionRequireClientSASLAuth":                          {reason: noSASL},
	"enforce.auth.enabled":                                  {},
	"enforce.auth.schemes":                                  {},
	"client.certReload":                                     {reason: noTLS},
	"client.portUnification":                                {reason: noTLS},
	"kerberos.removeHostFromPrincipal":                      {reason: noSASL},
	"kerberos.removeRealmFromPrincipal":                     {reason: noSASL},
	"kerberos.canonicalizeHostNames":                        {reason: noSASL},
	"fips-mode":                                             {reason: noTLS},
	"readonlymode.enabled":                                  {},
	"follower.skipLearnerRequestToNextProcessor":            {},
	"jute.maxbuffer.extrasize":                              {},
	"skipACL":                                               {},
	"nio.numSelectorThreads":                                {},
	"nio.numWorkerThreads":                                  {},
	"commitProcessor.numWorkerThreads":                      {},
	"commitProcessor.maxReadBatchSize":                      {},
	"commitProcessor.maxCommitBatchSize":                    {},
	"znode.container.maxNeverUsedIntervalMs":                {},
	"messageTracker.BufferSize":                             {},
	"messageTracker.Enabled":                                {},
	"admin.rateLimiterIntervalInMS":                         {},
	"admin.snapshot.enabled":                                {},
	"admin.restore.enabled":                                 {},
	"admin.needClientAuth":                                  {reason: noTLS},
	"admin.forceHttps":                                      {reason: noTLS},
	"admin.portUnification":                                 {reason: noTLS},
	"admin.idleTimeout":                                     {},
	"admin.commandURL":                                      {},
	"ssl.authProvider":                                      {reason: noTLS},
	"ssl.sslProvider":                                       {reason: noTLS},
}

// sslKeys have both an "ssl." and an "ssl.quorum." form.
var sslKeys = []string{
	"keyStore.location", "keyStore.password", "keyStore.passwordPath", "keyStore.type",
	"trustStore.location", "trustStore.password", "trustStore.passwordPath", "trustStore.type",
	"protocol", "enabledProtocols", "ciphersuites", "context.supplier.class",
	"hostnameVerification", "clientHostnameVerification", "allowReverseDnsLookup",
	"crl", "ocsp", "clientAuth", "handshakeDetectionTimeoutMillis",
}

func init() {
	for _, k := range sslKeys {
		ignoredKeys["ssl."+k] = ignoredKey{reason: noTLS}
		ignoredKeys["ssl.quorum."+k] = ignoredKey{reason: noTLS}
	}
}

// ignoredFamily reports whether key belongs to a documented family of keys
// with free-form names: authProvider.N, metricsProvider.*, and the
// hierarchical quorum keys, which ZooKeeper recognises by the bare prefixes
// "group" and "weight" (QuorumPeerConfig.parseDynamicConfig).
func ignoredFamily(key string) (ignoredKey, bool) {
	switch {
	case strings.HasPrefix(key, "authProvider."):
		return ignoredKey{}, true
	case strings.HasPrefix(key, "metricsProvider."):
		return ignoredKey{}, true
	case isHierarchical(key):
		return ignoredKey{reason: noHierarchical}, true
	}
	return ignoredKey{}, false
}

// isHierarchical is ZooKeeper's test for a hierarchical quorum key.
func isHierarchical(key string) bool {
	return strings.HasPrefix(key, "group") || strings.HasPrefix(key, "weight")
}

// fourLetterWords are the commands of FourLetterCommands (release-3.9.5).
var fourLetterWords = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dirs": true, "dump": true,
	"envi": true, "gtmk": true, "hash": true, "isro": true, "mntr": true,
	"ruok": true, "srst": true, "srvr": true, "stat": true, "stmk": true,
	"wchc": true, "wchp": true, "wchs": true,
}

// numbered matches a key of a numbered family such as server.1.
var numbered = regexp.MustCompile(`^(.*\.)([0-9]+)$`)

// suggest returns the known key nearest to an unknown one, compared without
// case, or "" when none is near enough to be a likely typo.
func suggest(key string) string {
	if m := numbered.FindStringSubmatch(key); m != nil {
		if s := nearest(m[1], []string{"server.", "group.", "weight.", "authProvider."}); s != "" {
			return s + m[2]
		}
	}
	if rest, ok := strings.CutPrefix(key, "zookeeper."); ok {
		// ZooKeeper turns a zoo.cfg key k into the property zookeeper.k, so
		// "zookeeper.snapCount" in zoo.cfg sets zookeeper.zookeeper.snapCount.
		if _, known := handlers[rest]; known {
			return rest
		}
		if _, known := ignoredKeys[rest]; known {
			return rest
		}
	}
	return nearest(key, knownKeys())
}

// knownKeys lists every exact key name, sorted.
var knownKeys = sync.OnceValue(func() []string {
	keys := make([]string, 0, len(handlers)+len(ignoredKeys))
	for k := range handlers {
		keys = append(keys, k)
	}
	for k := range ignoredKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
})

// nearest returns the candidate closest to s, ignoring case, if it is within
// a third of len(s) edits (at least 1, at most 3). Ties go to the first.
func nearest(s string, candidates []string) string {
	limit := min(max(len(s)/3, 1), 3)
	best, bestDist := "", limit+1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := editDistance(ls, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes cost 1.
func editDistance(a, b string) int {
	// rows i-2, i-1 and i of the table.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
