package config

import (
	"net"
	"sort"
	"strconv"
	"strings"
)

// DynamicConfig returns what an ensemble member keeps in /zookeeper/config:
// one "server.N=host:quorumPort:electionPort:participant|observer[;clientHost:clientPort]"
// line per server in id order, then "version=" and the config version in
// hex, with no trailing newline (QuorumMaj.toString of a static config,
// whose version is 0). A client address appears only when the server.N
// line names one; a bare ";port" shows as 0.0.0.0, Java's wildcard
// InetSocketAddress. Standalone servers keep the node empty.
func (c *Config) DynamicConfig() string {
	if c.Standalone() {
		return ""
	}
	servers := append([]Server(nil), c.Servers...)
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	var b strings.Builder
	for _, s := range servers {
		b.WriteString("server.")
		b.WriteString(strconv.FormatInt(s.ID, 10))
		b.WriteByte('=')
		b.WriteString(net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.ElectionPort))
		if s.Observer {
			b.WriteString(":observer")
		} else {
			b.WriteString(":participant")
		}
		if s.ClientPort != 0 {
			host := s.ClientHost
			if host == "" {
				host = "0.0.0.0"
			}
			b.WriteByte(';')
			b.WriteString(net.JoinHostPort(host, strconv.Itoa(s.ClientPort)))
		}
		b.WriteByte('\n')
	}
	b.WriteString("version=0")
	return b.String()
}
