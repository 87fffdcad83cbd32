package config

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// property is one key=value pair of a Java properties file.
type property struct {
	Key   string
	Value string
	Line  int // 1-based natural line on which the logical line starts
}

// parseProperties reads data as java.util.Properties.load does and returns
// the pairs in file order, duplicates included (Properties keeps the last).
// Keys and values are trimmed as QuorumPeerConfig.parseProperties trims them.
//
// The rules, from java.util.Properties.load and its LineReader:
//   - natural lines end at "\n", "\r" or "\r\n";
//   - leading blanks (space, tab, form feed) are skipped; a natural line that
//     is then empty, or starts with '#' or '!', is skipped — a comment never
//     continues onto the next line;
//   - a line ending in an odd number of backslashes continues on the next
//     natural line, whose leading blanks are dropped;
//   - the key ends at the first unescaped '=', ':' or blank; blanks and at
//     most one '=' or ':' separate it from the value;
//   - escapes in keys and values: \t \n \r \f, \uXXXX, and \c for any other c.
//
// NB: Java reads the file as ISO-8859-1; we keep the bytes as they are, so a
// UTF-8 file yields UTF-8 strings. The only error is a malformed \uXXXX.
func parseProperties(data []byte) ([]property, error) {
	var (
		props     []property
		logical   []byte
		start     int  // line on which logical started
		inLogical bool // logical continues on the next natural line
	)
	flush := func() error {
		inLogical = false
		p, err := splitProperty(logical)
		if err != nil {
			return &Error{Line: start, Msg: err.Error()}
		}
		p.Line = start
		props = append(props, p)
		return nil
	}
	for line := 1; len(data) > 0; line++ {
		var nat []byte
		nat, data = nextLine(data)
		nat = trimLeftBlanks(nat)
		if !inLogical {
			if len(nat) == 0 || nat[0] == '#' || nat[0] == '!' {
				continue
			}
			start, logical, inLogical = line, logical[:0], true
		} else if len(nat) == 0 {
			// An empty continuation line ends the logical line.
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		n := 0
		for n < len(nat) && nat[len(nat)-1-n] == '\\' {
			n++
		}
		if n%2 == 1 {
			logical = append(logical, nat[:len(nat)-1]...)
			continue
		}
		logical = append(logical, nat...)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if inLogical {
		// The file ends in a continuation: Java drops the backslash.
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return props, nil
}

// nextLine splits off the first natural line, ended by "\n", "\r" or "\r\n".
func nextLine(data []byte) (line, rest []byte) {
	for i, c := range data {
		switch c {
		case '\n':
			return data[:i], data[i+1:]
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				return data[:i], data[i+2:]
			}
			return data[:i], data[i+1:]
		}
	}
	return data, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeftBlanks(b []byte) []byte {
	for len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	return b
}

// javaTrim is String.trim: it removes every char <= ' ' at both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// splitProperty splits a logical line into key and value as Properties.load0
// does, then unescapes and trims both.
func splitProperty(l []byte) (property, error) {
	keyLen, valueStart := 0, len(l)
	hasSep, escaped := false, false
	for keyLen < len(l) {
		c := l[keyLen]
		if (c == '=' || c == ':') && !escaped {
			valueStart, hasSep = keyLen+1, true
			break
		}
		if isBlank(c) && !escaped {
			valueStart = keyLen + 1
			break
		}
		escaped = c == '\\' && !escaped
		keyLen++
	}
	for valueStart < len(l) {
		c := l[valueStart]
		if !isBlank(c) {
			if hasSep || (c != '=' && c != ':') {
				break
			}
			hasSep = true
		}
		valueStart++
	}
	key, err := unescape(l[:keyLen])
	if err != nil {
		return property{}, err
	}
	value, err := unescape(l[valueStart:])
	if err != nil {
		return property{}, err
	}
	return property{Key: javaTrim(key), Value: javaTrim(value)}, nil
}

// unescape is Properties.loadConvert. Runs of \uXXXX escapes are UTF-16
// code units: a surrogate pair becomes one rune, a lone surrogate U+FFFD.
func unescape(b []byte) (string, error) {
	if !strings.Contains(string(b), `\`) {
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	var units []uint16 // pending \u escapes
	flush := func() {
		for _, r := range utf16.Decode(units) {
			out = utf8.AppendRune(out, r)
		}
		units = units[:0]
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			flush()
			out = append(out, c)
			continue
		}
		i++
		if i == len(b) {
			// Unreachable from parseProperties (a trailing odd backslash
			// continues the line), kept for safety: Java drops it at EOF.
			break
		}
		c = b[i]
		if c == 'u' {
			if i+4 >= len(b) {
				return "", errors.New(`malformed \uxxxx escape`)
			}
			var u uint16
			for _, h := range b[i+1 : i+5] {
				d, ok := hexDigit(h)
				if !ok {
					return "", errors.New(`malformed \uxxxx escape`)
				}
				u = u<<4 | d
			}
			i += 4
			units = append(units, u)
			continue
		}
		flush()
		switch c {
		case 't':
			c = '\t'
		case 'r':
			c = '\r'
		case 'n':
			c = '\n'
		case 'f':
			c = '\f'
		}
		out = append(out, c)
	}
	flush()
	return string(out), nil
}

func hexDigit(c byte) (uint16, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint16(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint16(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint16(c-'A') + 10, true
	}
	return 0, false
}
