package server

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"
	"strings"

	"github.com/zabd/zabd/jute/zkproto"
)

// DigestOf returns the digest id of "user:password" as
// DigestAuthenticationProvider.generateDigest builds it: user:base64(sha1(user:password)).
func DigestOf(idPassword string) string {
	user, _, _ := strings.Cut(idPassword, ":")
	sum := sha1.Sum([]byte(idPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// checkACL reports whether ids may perform perm on a node with acl, as
// ZooKeeperServer.checkACL decides: an empty ACL or a super id allows all.
func (s *Server) checkACL(acl []zkproto.ACL, perm int32, ids []zkproto.Id) bool {
	if len(acl) == 0 {
		return true
	}
	for _, id := range ids {
		if id.Scheme == "super" {
			return true
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == "world" && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range ids {
			if id.Scheme == a.ID.Scheme && aclMatches(id.Scheme, id.ID, a.ID.ID) {
				return true
			}
		}
	}
	return false
}

func aclMatches(scheme, have, want string) bool {
	switch scheme {
	case "digest", "sasl", "x509":
		return have == want
	case "ip":
		return ipMatches(have, want)
	}
	return false
}

// ipMatches reports whether client address have falls in want, an address
// or CIDR (IPAuthenticationProvider.matches).
func ipMatches(have, want string) bool {
	addr, err := netip.ParseAddr(have)
	if err != nil {
		return false
	}
	if strings.Contains(want, "/") {
		p, err := netip.ParsePrefix(want)
		return err == nil && p.Contains(addr)
	}
	w, err := netip.ParseAddr(want)
	return err == nil && w == addr
}

func validIPACL(id string) bool {
	if strings.Contains(id, "/") {
		_, err := netip.ParsePrefix(id)
		return err == nil
	}
	_, err := netip.ParseAddr(id)
	return err == nil
}

// fixupACL validates a requested ACL and expands the "auth" scheme into the
// session's authenticated ids, as PrepRequestProcessor.fixupACL does.
func fixupACL(acl []zkproto.ACL, ids []zkproto.Id) ([]zkproto.ACL, zkproto.Code) {
	if len(acl) == 0 {
		return nil, zkproto.ErrInvalidACL
	}
	out := make([]zkproto.ACL, 0, len(acl))
	add := func(a zkproto.ACL) {
		for _, o := range out {
			if o == a {
				return
			}
		}
		out = append(out, a)
	}
	for _, a := range acl {
		switch a.ID.Scheme {
		case "world":
			if a.ID.ID != "anyone" {
				return nil, zkproto.ErrInvalidACL
			}
			add(a)
		case "auth":
			valid := false
			for _, id := range ids {
				if id.Scheme == "digest" || id.Scheme == "sasl" || id.Scheme == "x509" || id.Scheme == "super" {
					valid = true
					add(zkproto.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !valid {
				return nil, zkproto.ErrInvalidACL
			}
		case "digest":
			if strings.Count(a.ID.ID, ":") != 1 {
				return nil, zkproto.ErrInvalidACL
			}
			add(a)
		case "ip":
			if !validIPACL(a.ID.ID) {
				return nil, zkproto.ErrInvalidACL
			}
			add(a)
		case "sasl", "x509":
			add(a)
		default:
			return nil, zkproto.ErrInvalidACL
		}
	}
	return out, zkproto.Ok
}
