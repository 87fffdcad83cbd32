package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// propertyTests were checked against java.util.Properties.load of OpenJDK
// 17.0.15 (keys and values trimmed as QuorumPeerConfig trims them).
var propertyTests = []struct {
	name string
	in   string
	want []property
	err  string
}{
	{name: "equals", in: "a=b", want: []property{{"a", "b", 1}}},
	{name: "equals with blanks", in: "a = b", want: []property{{"a", "b", 1}}},
	{name: "colon", in: "a:b", want: []property{{"a", "b", 1}}},
	{name: "colon with blanks", in: "a : b", want: []property{{"a", "b", 1}}},
	{name: "space", in: "a b", want: []property{{"a", "b", 1}}},
	{name: "tab", in: "a\tb", want: []property{{"a", "b", 1}}},
	{name: "key only", in: "a", want: []property{{"a", "", 1}}},
	{name: "empty value", in: "a=", want: []property{{"a", "", 1}}},
	{name: "second separator is value", in: "a==b", want: []property{{"a", "=b", 1}}},
	{name: "blank then two separators", in: "a := b", want: []property{{"a", "= b", 1}}},
	{name: "separator after blank", in: "a  =b", want: []property{{"a", "b", 1}}},
	{name: "value keeps inner blanks", in: "a = b c  d", want: []property{{"a", "b c  d", 1}}},
	{name: "trailing blanks trimmed", in: "a=b  \t", want: []property{{"a", "b", 1}}},
	{name: "leading blanks and form feed", in: " \f\t a = b", want: []property{{"a", "b", 1}}},
	{name: "hash comment", in: "# c\na=b", want: []property{{"a", "b", 2}}},
	{name: "bang comment", in: "! c\na=b", want: []property{{"a", "b", 2}}},
	{name: "indented comment", in: "   # c\na=b", want: []property{{"a", "b", 2}}},
	{name: "hash inside value", in: "a=b # not a comment", want: []property{{"a", "b # not a comment", 1}}},
	{name: "blank lines", in: "\n\n  \na=b\n\n", want: []property{{"a", "b", 4}}},
	{name: "escaped equals in key", in: `a\=b=c`, want: []property{{"a=b", "c", 1}}},
	{name: "escaped colon in key", in: `a\:b:c`, want: []property{{"a:b", "c", 1}}},
	{name: "escaped space in key", in: `a\ b c`, want: []property{{"a b", "c", 1}}},
	{name: "escaped hash key", in: `\#a=b`, want: []property{{"#a", "b", 1}}},
	{name: "continuation", in: "a=b\\\n   c", want: []property{{"a", "bc", 1}}},
	{name: "continuation in key", in: "ke\\\n  y=v", want: []property{{"key", "v", 1}}},
	{name: "double continuation", in: "a=1\\\n 2\\\n 3\nb=4", want: []property{{"a", "123", 1}, {"b", "4", 4}}},
	{name: "even backslashes do not continue", in: "a=b\\\\\nc=d", want: []property{{"a", `b\`, 1}, {"c", "d", 2}}},
	{name: "continuation at end of file", in: "a=b\\", want: []property{{"a", "b", 1}}},
	{name: "continuation then newline at end", in: "a=b\\\n", want: []property{{"a", "b", 1}}},
	{name: "empty continuation line ends it", in: "a=b\\\n\nc=d", want: []property{{"a", "b", 1}, {"c", "d", 3}}},
	{name: "blank continuation line ends it", in: "a=b\\\n   \nc=d", want: []property{{"a", "b", 1}, {"c", "d", 3}}},
	{name: "continued hash is content", in: "a=b\\\n#c", want: []property{{"a", "b#c", 1}}},
	{name: "comment does not continue", in: "# c \\\na=b", want: []property{{"a", "b", 2}}},
	{name: "escapes", in: `a=x\t\n\r\fy\q\\`, want: []property{{"a", "x\t\n\r\fyq\\", 1}}},
	{name: "escapes trimmed at ends", in: `a=\t\nAx`, want: []property{{"a", "Ax", 1}}},
	{name: "unicode escape", in: `a=\u0041\u00e9`, want: []property{{"a", "Aé", 1}}},
	{name: "unicode escape in key", in: `\u0061=b`, want: []property{{"a", "b", 1}}},
	{name: "surrogate pair", in: `a=\uD83D\uDE00`, want: []property{{"a", "😀", 1}}},
	{name: "lone surrogate", in: `a=\uD83Dx`, want: []property{{"a", "\uFFFDx", 1}}},
	{name: "crlf", in: "a=b\r\nc=d\r\ne=f", want: []property{{"a", "b", 1}, {"c", "d", 2}, {"e", "f", 3}}},
	{name: "cr", in: "a=b\rc=d", want: []property{{"a", "b", 1}, {"c", "d", 2}}},
	{name: "crlf continuation", in: "a=b\\\r\n  c\r\nd=e", want: []property{{"a", "bc", 1}, {"d", "e", 3}}},
	{name: "duplicates kept in order", in: "a=1\nb=2\na=3", want: []property{{"a", "1", 1}, {"b", "2", 2}, {"a", "3", 3}}},
	{name: "utf-8 bytes pass through", in: "dataDir=/tmp/é", want: []property{{"dataDir", "/tmp/é", 1}}},
	{name: "empty", in: "", want: nil},
	{name: "malformed unicode", in: "a=b\nc=\\u00g0", err: `:2: malformed \uxxxx escape`},
	{name: "short unicode", in: `a=\u00`, err: `:1: malformed \uxxxx escape`},
}

func TestParseProperties(t *testing.T) {
	for _, tt := range propertyTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProperties([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("parseProperties(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseProperties(%q) error = %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseProperties(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	for _, tt := range propertyTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte("server.1=[::1]:2888:3888:observer;[::1]:2181\nserver.2=a:1:2|b:1:2;3"))
	f.Add([]byte("4lw.commands.whitelist=ruok, *\ntickTime=\\u0032000"))
	dataDir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := parseProperties(data)
		if err != nil {
			return
		}
		for _, p := range props {
			if p.Line < 1 {
				t.Fatalf("property %q on line %d", p.Key, p.Line)
			}
		}
		// The rest of Load must not panic either, whatever the keys, and
		// every error it returns names the file.
		l := &loader{file: "zoo.cfg", c: base(), set: map[string]property{}}
		props = slices.DeleteFunc(props, func(p property) bool { return p.Key == "dynamicConfigFile" })
		props = append(props, property{Key: "dataDir", Value: dataDir, Line: 1})
		if err := l.load(props); err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), e.File+":") {
				t.Fatalf("load error %q is not an *Error naming its file", err)
			}
		}
		for _, p := range props {
			if !strings.HasPrefix(p.Key, "server.") {
				continue
			}
			s, _, err := parseServer(1, p.Value)
			if err == nil && (s.QuorumPort == s.ElectionPort || s.QuorumPort < 1 || s.ElectionPort > 65535 || s.Host == "") {
				t.Fatalf("parseServer(%q) = %+v", p.Value, s)
			}
		}
	})
}
