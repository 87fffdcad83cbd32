package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// serverForm is the grammar of a server.N value, for error messages.
const serverForm = "host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]"

// parseServer parses the value of server.<id> as
// QuorumServer.initializeWithAddressString (release-3.9.5) does:
//
//	<addr>[|<addr>...][;[<clientHost>:]<clientPort>]
//	<addr> = <host>:<quorumPort>:<electionPort>[:participant|observer]
//
// Hosts may be bracketed IPv6 literals. It returns the first address and how
// many more there are; every address is checked and all must share a role.
// The error completes a sentence that starts with the quoted value.
func parseServer(id int64, value string) (Server, int, error) {
	s := Server{ID: id}
	wrong := fmt.Errorf("does not have the form %s", serverForm)
	parts := javaSplit(value, ";")
	if len(parts) == 0 || len(parts) > 2 {
		return s, 0, wrong
	}
	if len(parts) == 2 {
		client, err := hostAndPort(strings.TrimSpace(parts[1]))
		if err != nil {
			return s, 0, err
		}
		if len(client) > 2 {
			return s, 0, wrong
		}
		if len(client) == 2 {
			s.ClientHost = client[0]
			if s.ClientHost == "" {
				return s, 0, wrong
			}
		}
		s.ClientPort, err = parsePort("client port", client[len(client)-1])
		if err != nil {
			return s, 0, err
		}
	}
	addrs := javaSplit(parts[0], "|")
	if len(addrs) == 0 {
		return s, 0, wrong
	}
	role := ""
	for i, a := range addrs {
		hp, err := hostAndPort(strings.TrimSpace(a))
		if err != nil {
			return s, 0, err
		}
		if len(hp) < 3 || len(hp) > 4 || hp[0] == "" {
			return s, 0, wrong
		}
		qp, err := parsePort("quorum port", hp[1])
		if err != nil {
			return s, 0, err
		}
		ep, err := parsePort("election port", hp[2])
		if err != nil {
			return s, 0, err
		}
		if qp == ep {
			return s, 0, fmt.Errorf("uses port %d as both quorum and election port", qp)
		}
		if len(hp) == 4 {
			r := strings.ToLower(strings.TrimSpace(hp[3]))
			if r != "participant" && r != "observer" {
				return s, 0, fmt.Errorf("has role %q: want participant or observer", hp[3])
			}
			if role != "" && r != role {
				return s, 0, errors.New("mixes roles: every address must have the same")
			}
			role = r
		}
		if i == 0 {
			s.Host, s.QuorumPort, s.ElectionPort = hp[0], qp, ep
		}
	}
	s.Observer = role == "observer"
	return s, len(addrs) - 1, nil
}

func parsePort(what, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("has %s %q: want 1-65535", what, v)
	}
	return n, nil
}

// hostAndPort splits "host:port[:...]" at colons, keeping a bracketed IPv6
// literal whole, as ConfigUtils.getHostAndPort does.
func hostAndPort(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return javaSplit(s, ":"), nil
	}
	i := strings.Index(s, "]")
	switch {
	case i < 0:
		return nil, errors.New("starts with '[' but has no matching ']'")
	case i+1 == len(s):
		return []string{s[1:i]}, nil
	case s[i+1] != ':' || i+2 == len(s):
		return nil, fmt.Errorf("has no port after %s", s[:i+1])
	}
	return append([]string{s[1:i]}, javaSplit(s[i+2:], ":")...), nil
}

// javaSplit is String.split with a literal separator: trailing empty strings
// are dropped, so "a:b:" gives [a b] and ":" gives [].
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if s == "" {
		return []string{""}
	}
	return parts
}
