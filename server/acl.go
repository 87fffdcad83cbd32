package server

import (
	"crypto/sha1"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

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
	case "digest":
		return have == want
	case "ip":
		return ipMatches(have, want)
	}
	return false
}

// ipMatches reports whether client address have falls in want, an address
// or CIDR, as IPAuthenticationProvider.matches decides: IPv4 only, each
// part read by Integer.parseInt (so "127.0.0.01" and "+127.0.0.1" are
// addresses), the mask applied to both sides.
func ipMatches(have, want string) bool {
	addr, bits, ok := javaIPACL(want)
	if !ok {
		return false
	}
	remote, ok := javaIPv4(have)
	if !ok {
		return false
	}
	mask := uint32(0)
	if bits > 0 {
		mask = ^uint32(0) << (32 - bits)
	}
	return addr&mask == remote&mask
}

// validIPACL is IPAuthenticationProvider.isValid.
func validIPACL(id string) bool {
	_, _, ok := javaIPACL(id)
	return ok
}

// javaIPACL parses "a.b.c.d" or "a.b.c.d/bits" as IPAuthenticationProvider
// does (split("/", 2), then Integer.parseInt of the bits in [0, 32]).
func javaIPACL(id string) (addr uint32, bits int, ok bool) {
	ip, mask, hasMask := strings.Cut(id, "/")
	if addr, ok = javaIPv4(ip); !ok {
		return 0, 0, false
	}
	bits = 32
	if hasMask {
		n, ok := javaParseInt(mask)
		if !ok || n < 0 || n > 32 {
			return 0, 0, false
		}
		bits = int(n)
	}
	return addr, bits, true
}

// javaIPv4 is IPAuthenticationProvider.v4addr2Bytes: four parts split on
// "." (empty parts kept), each an Integer.parseInt in [0, 255].
func javaIPv4(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return 0, false
	}
	var v uint32
	for _, p := range parts {
		n, ok := javaParseInt(p)
		if !ok || n < 0 || n > 255 {
			return 0, false
		}
		v = v<<8 | uint32(n)
	}
	return v, true
}

// javaParseInt is Integer.parseInt for ASCII decimal digits: an optional
// sign, at least one digit, leading zeros allowed, int32 range.
func javaParseInt(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 {
		return 0, false
	}
	return n, true
}

// validDigestACL is DigestAuthenticationProvider.isValid: id.split(":")
// has two parts, Java's split dropping trailing empty strings (so
// "u:hash:" is valid and "u:" is not).
func validDigestACL(id string) bool {
	parts := strings.Split(id, ":")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return len(parts) == 2
}

// fixupACL validates a requested ACL and expands the "auth" scheme into the
// session's authenticated ids, as PrepRequestProcessor.fixupACL does:
// duplicates are removed from the request first, not from the result
// (auth:: next to the digest it expands to gives that digest twice); only
// the ip and digest providers exist, and only digest ids are
// "authenticated" (ip ids and the super id are not).
func fixupACL(acl []zkproto.ACL, ids []zkproto.Id) ([]zkproto.ACL, zkproto.Code) {
	uniq := make([]zkproto.ACL, 0, len(acl))
	for _, a := range acl {
		// Ids are Java strings in ZooKeeper (javaNormal).
		a.ID.Scheme, a.ID.ID = javaNormal(a.ID.Scheme), javaNormal(a.ID.ID)
		if !slices.Contains(uniq, a) {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, zkproto.ErrInvalidACL
	}
	out := make([]zkproto.ACL, 0, len(uniq))
	for _, a := range uniq {
		switch {
		case a.ID.Scheme == "world" && a.ID.ID == "anyone":
			out = append(out, a)
		case a.ID.Scheme == "auth":
			valid := false
			for _, id := range ids {
				if id.Scheme == "digest" {
					valid = true
					out = append(out, zkproto.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !valid {
				return nil, zkproto.ErrInvalidACL
			}
		case a.ID.Scheme == "digest" && validDigestACL(a.ID.ID),
			a.ID.Scheme == "ip" && validIPACL(a.ID.ID):
			out = append(out, a)
		default:
			return nil, zkproto.ErrInvalidACL
		}
	}
	return out, zkproto.Ok
}

// authUser is the user whoAmI reports for id (AuthUtil.getUser): the digest
// provider's user (the part before the first colon), the ip provider's
// address, and "" for super, which has no provider.
func authUser(id zkproto.Id) string {
	switch id.Scheme {
	case "digest":
		user, _, _ := strings.Cut(id.ID, ":")
		return user
	case "ip":
		return id.ID
	}
	return ""
}

// echoACL is acl as ZooKeeper writes it back: each string through
// javaString.
func echoACL(acl []zkproto.ACL) []zkproto.ACL {
	out := acl
	for i, a := range acl {
		s, id := javaString(a.ID.Scheme), javaString(a.ID.ID)
		if s == a.ID.Scheme && id == a.ID.ID {
			continue
		}
		if &out[0] == &acl[0] {
			out = slices.Clone(acl)
		}
		out[i].ID.Scheme, out[i].ID.ID = s, id
	}
	return out
}

// maskDigests hides the hashes of digest ids from a getACL caller without
// ADMIN, as FinalRequestProcessor does with replaceAll(":.*", ":x").
func maskDigests(acl []zkproto.ACL) []zkproto.ACL {
	out := make([]zkproto.ACL, len(acl))
	for i, a := range acl {
		if a.ID.Scheme == "digest" {
			a.ID.ID = javaDotStar.ReplaceAllString(a.ID.ID, ":x")
		}
		out[i] = a
	}
	return out
}

// javaDotStar is the regexp ":.*" with Java's ".", which stops at line
// terminators.
var javaDotStar = regexp.MustCompile(`:[^\n\r\x{85}\x{2028}\x{2029}]*`)

// addAuthID adds id to a connection's auth ids and returns them in the
// order ZooKeeper iterates them. ServerCnxn keeps them in a set backed by a
// ConcurrentHashMap, so whoAmI lists them, and auth:: expands to them, in
// hash-table order: by bucket of Id.hashCode, then by insertion within a
// bucket, the table doubling from 16 when 3/4 full. ids must be in that
// order already. Adding an id already there changes nothing.
//
// NB: ConcurrentHashMap turns a bucket of 8 into a tree only in tables of
// 64 and more, which a connection with fewer than 48 ids never has.
func addAuthID(ids []zkproto.Id, id zkproto.Id) []zkproto.Id {
	if slices.Contains(ids, id) {
		return ids
	}
	n := 16
	for len(ids) >= n-n>>2 {
		n <<= 1
	}
	bins := make([][]zkproto.Id, n)
	for _, have := range ids {
		b := chmHash(have) & (n - 1)
		bins[b] = append(bins[b], have)
	}
	b := chmHash(id) & (n - 1)
	bins[b] = append(bins[b], id)
	for count := len(ids) + 1; count >= n-n>>2; n <<= 1 {
		// ConcurrentHashMap.transfer: the run of nodes at a bucket's end
		// that go the same way moves as it is; the nodes before it are
		// pushed in front, one by one, reversing their order.
		next := make([][]zkproto.Id, 2*n)
		for i, bin := range bins {
			if len(bin) == 0 {
				continue
			}
			last := len(bin) - 1
			for last > 0 && chmHash(bin[last-1])&n == chmHash(bin[len(bin)-1])&n {
				last--
			}
			var lo, hi []zkproto.Id
			if chmHash(bin[last])&n == 0 {
				lo = append(lo, bin[last:]...)
			} else {
				hi = append(hi, bin[last:]...)
			}
			for _, x := range bin[:last] {
				if chmHash(x)&n == 0 {
					lo = append([]zkproto.Id{x}, lo...)
				} else {
					hi = append([]zkproto.Id{x}, hi...)
				}
			}
			next[i], next[i+n] = lo, hi
		}
		bins = next
	}
	out := make([]zkproto.Id, 0, len(ids)+1)
	for _, bin := range bins {
		out = append(out, bin...)
	}
	return out
}

// chmHash is ConcurrentHashMap.spread of the Jute Id's hashCode.
func chmHash(id zkproto.Id) int {
	h := 37*(37*17+javaHash(id.Scheme)) + javaHash(id.ID)
	return int((h ^ int32(uint32(h)>>16)) & 0x7fffffff)
}

// javaHash is String.hashCode, over UTF-16 code units.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}
