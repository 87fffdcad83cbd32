package config

import "testing"

func TestDynamicConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		servers []Server
		want    string
	}{
		{"standalone", nil, ""},
		{"static ports, id order", []Server{
			{ID: 3, Host: "127.0.0.1", QuorumPort: 2890, ElectionPort: 3890},
			{ID: 1, Host: "127.0.0.1", QuorumPort: 2888, ElectionPort: 3888},
			{ID: 2, Host: "127.0.0.1", QuorumPort: 2889, ElectionPort: 3889},
			{ID: 4, Host: "127.0.0.1", QuorumPort: 2891, ElectionPort: 3891, Observer: true},
		}, "server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\n" +
			"server.3=127.0.0.1:2890:3890:participant\nserver.4=127.0.0.1:2891:3891:observer\nversion=0"},
		{"client addresses", []Server{
			{ID: 1, Host: "zk1.example", QuorumPort: 2888, ElectionPort: 3888, ClientPort: 2181},
			{ID: 2, Host: "::1", QuorumPort: 2888, ElectionPort: 3888, ClientHost: "::1", ClientPort: 2182},
		}, "server.1=zk1.example:2888:3888:participant;0.0.0.0:2181\nserver.2=[::1]:2888:3888:participant;[::1]:2182\nversion=0"},
	} {
		c := &Config{Servers: tc.servers}
		if got := c.DynamicConfig(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
