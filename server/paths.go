package server

import (
	"strings"
	"unicode/utf8"
)

// validPath reports whether path is a valid znode path, as
// PathUtils.validatePath decides: absolute, no trailing slash, no empty,
// "." or ".." component, no control or reserved characters.
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

// javaString returns s as Java's UTF-8 decoder reads it: each byte that is
// not part of a valid sequence becomes U+FFFD (sync echoes paths so).
func javaString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
