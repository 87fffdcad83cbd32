package server

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// validPath reports whether path is a valid znode path, as
// PathUtils.validatePath decides: absolute, no trailing slash, no empty,
// "." or ".." component, no control or reserved characters, no character
// above U+FFFF.
func validPath(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	if len(path) == 1 {
		return true
	}
	if path[len(path)-1] == '/' {
		return false
	}
	prev := rune('/')
	for i, r := range path {
		if i == 0 {
			continue
		}
		switch {
		case r == utf8.RuneError:
			return false
		case r == 0:
			return false
		case r == '/' && prev == '/':
			return false
		case r == '.' && prev == '.':
			// ".." as a whole component
			if path[i-2] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return false
			}
		case r == '.':
			if prev == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return false
			}
		case r >= 0x01 && r <= 0x1f, r >= 0x7f && r <= 0x9f,
			r >= 0xd800 && r <= 0xf8ff, r >= 0xfff0 && r <= 0xffff:
			return false
		case r > 0xffff:
			// NB: PathUtils checks Java chars, and Java holds a character
			// above U+FFFF as a surrogate pair (\ud800-\udfff), so every
			// such character is invalid: ZooKeeper answers BadArguments to
			// a create of "/😀".
			return false
		}
		prev = r
	}
	return true
}

// parentOf returns the parent path of an absolute path ("/" for "/a").
func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// reservedPath reports the system nodes that cannot be deleted
// (ZooKeeperServer.isReservedPath and the root).
func reservedPath(path string) bool {
	switch path {
	case "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config":
		return true
	}
	return false
}

// javaString returns s as ZooKeeper 3.8 echoes a string it has read (sync
// echoes its path): BinaryInputArchive.readString decodes the bytes with
// Java's new String(b, UTF_8), which turns each malformed sequence into
// U+FFFD (javaDecodeUTF8), and BinaryOutputArchive.writeString encodes the
// UTF-16 chars one by one, so a character above U+FFFF goes out as its two
// surrogates in three bytes each (CESU-8), not in UTF-8's four.
func javaString(s string) string {
	if isASCII(s) {
		return s
	}
	var b []byte
	for _, c := range javaDecodeUTF8(s) {
		switch {
		case c < 0x80:
			b = append(b, byte(c))
		case c < 0x800:
			b = append(b, 0xc0|byte(c>>6), 0x80|byte(c&0x3f))
		default:
			b = append(b, 0xe0|byte(c>>12), 0x80|byte(c>>6&0x3f), 0x80|byte(c&0x3f))
		}
	}
	return string(b)
}

// isASCII reports whether s is all ASCII, which Java reads and writes back
// byte for byte.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// javaNormal returns the string Java makes of s's bytes (new String(b,
// UTF_8), javaDecodeUTF8) in UTF-8: what ZooKeeper compares and hashes an
// ACL or auth id as. Two byte strings Java reads alike are then equal here
// too, and javaString of the result is what ZooKeeper writes back.
func javaNormal(s string) string {
	if isASCII(s) {
		return s
	}
	return string(utf16.Decode(javaDecodeUTF8(s)))
}

// javaDecodeUTF8 decodes s into UTF-16 as JDK 17's String.decodeUTF8_UTF16
// does with replacement: a malformed sequence (a bad lead byte, a missing
// continuation, an overlong form, a surrogate, a code point above U+10FFFF)
// becomes one U+FFFD for the bytes Java counts as malformed, and a sequence
// cut short by the end of s becomes one U+FFFD, after which Java stops.
//
// NB: Go's decoder differs: it replaces byte by byte, so "\xe0\xa0" is two
// U+FFFD for Go and one for Java, and "\xed\xa0\x80" three for Go, one for
// Java.
func javaDecodeUTF8(s string) []uint16 {
	const repl = 0xfffd
	cont := func(b byte) bool { return b&0xc0 == 0x80 }
	// Java's isMalformed3_2 and isMalformed4_2: the second byte cannot
	// follow b1.
	bad3 := func(b1, b2 byte) bool { return b1 == 0xe0 && b2&0xe0 == 0x80 || !cont(b2) }
	bad4 := func(b1, b2 byte) bool {
		return b1 == 0xf0 && (b2 < 0x90 || b2 > 0xbf) || b1 == 0xf4 && b2&0xf0 != 0x80 || !cont(b2)
	}
	out := make([]uint16, 0, len(s))
	for sp, sl := 0, len(s); sp < sl; {
		b1 := s[sp]
		sp++
		switch {
		case b1 < 0x80:
			out = append(out, uint16(b1))
		case b1 >= 0xc2 && b1 <= 0xdf:
			if sp == sl {
				return append(out, repl)
			}
			if b2 := s[sp]; cont(b2) {
				out = append(out, uint16(b1&0x1f)<<6|uint16(b2&0x3f))
				sp++
			} else {
				out = append(out, repl)
			}
		case b1 >= 0xe0 && b1 <= 0xef:
			if sp+1 < sl {
				b2, b3 := s[sp], s[sp+1]
				switch {
				case bad3(b1, b2) || !cont(b3):
					out = append(out, repl)
					if !bad3(b1, b2) {
						sp++ // malformed3: the lead and b2 make one malformed sequence
					}
				default:
					c := uint16(b1&0x0f)<<12 | uint16(b2&0x3f)<<6 | uint16(b3&0x3f)
					if c >= 0xd800 && c <= 0xdfff {
						c = repl
					}
					out = append(out, c)
					sp += 2
				}
				continue
			}
			out = append(out, repl)
			if sp < sl && bad3(b1, s[sp]) {
				continue
			}
			return out
		case b1 >= 0xf0 && b1 <= 0xf7:
			if sp+2 < sl {
				b2, b3, b4 := s[sp], s[sp+1], s[sp+2]
				uc := rune(b1&0x07)<<18 | rune(b2&0x3f)<<12 | rune(b3&0x3f)<<6 | rune(b4&0x3f)
				if !cont(b2) || !cont(b3) || !cont(b4) || uc < 0x10000 || uc > 0x10ffff {
					out = append(out, repl)
					// malformed4: how many bytes Java counts as malformed.
					switch {
					case b1 > 0xf4 || bad4(b1, b2):
					case !cont(b3):
						sp++
					default:
						sp += 2
					}
					continue
				}
				uc -= 0x10000
				out = append(out, uint16(0xd800+uc>>10), uint16(0xdc00+uc&0x3ff))
				sp += 3
				continue
			}
			out = append(out, repl)
			if b1 > 0xf4 || sp < sl && bad4(b1, s[sp]) {
				continue
			}
			sp++
			if sp < sl && !cont(s[sp]) {
				continue
			}
			return out
		default:
			out = append(out, repl)
		}
	}
	return out
}
