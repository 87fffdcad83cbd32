package datatree

// SetConfig writes an ensemble's configuration into /zookeeper/config
// outside any txn, as every ZooKeeper peer does when it loads its database
// (ZKDatabase.initConfigInZKDatabase: a setData with version -1 and the
// config's version, 0 for a static config, as zxid). The caller holds the
// write lock.
func (t *Tree) SetConfig(data []byte, nowMs int64) {
	n := t.nodes[ConfigPath]
	if n == nil {
		return
	}
	n.Data = data
	n.Stat.Version = -1
	n.Stat.Mzxid = 0
	n.Stat.Mtime = nowMs
}
