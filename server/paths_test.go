package server

import "testing"

// TestValidPath checks validPath against what ZooKeeper 3.8's
// PathUtils.validatePath decides for the same path.
func TestValidPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/a", true},
		{"/a/b.c/..d/.e", true},
		{"/u\u00e9", true},      // é
		{"/u\u0800", true},      // the first three-byte character
		{"/u\ufdd0", true},      // a noncharacter below U+FFF0
		{"", false},             // empty
		{"a", false},            // relative
		{"/a/", false},          // trailing slash
		{"//a", false},          // empty component
		{"/a/./b", false},       // "." component
		{"/a/..", false},        // ".." component
		{"/a\x00b", false},      // null character
		{"/a\x1f", false},       // control character
		{"/a\x7f", false},       // DEL
		{"/a\u0085", false},     // C1 control
		{"/a\ue000", false},     // private use
		{"/a\uf8ff", false},     // the last one of \ud800-\uf8ff
		{"/a\ufff0", false},     // specials
		{"/a\ufffd", false},     // the replacement character
		{"/a\xff", false},       // not UTF-8: Java reads U+FFFD
		{"/a\U00010000", false}, // above U+FFFF: a surrogate pair in Java
		{"/a\U0001F600", false}, // 😀, likewise (the C client sends its UTF-8)
		{"/a\U0010FFFF", false},
	} {
		if got := validPath(tc.path); got != tc.want {
			t.Errorf("validPath(%+q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// TestJavaString checks javaString against what Java 17's
// new String(b, UTF_8), re-encoded char by char as jute's
// BinaryOutputArchive.writeString does, makes of the same bytes: what
// ZooKeeper 3.8 echoes in a sync reply (the C client's `sync /u😀` prints
// the CESU-8 name).
func TestJavaString(t *testing.T) {
	const r = "\xef\xbf\xbd" // U+FFFD
	for _, tc := range []struct {
		in, want string
	}{
		{"/a", "/a"},
		{"/\u00e9", "/\u00e9"},
		{"/\U0001F600", "/\xed\xa0\xbd\xed\xb8\x80"}, // the surrogates D83D DE00, three bytes each
		{"/\U0010FFFF", "/\xed\xaf\xbf\xed\xbf\xbf"},
		{"/\ufffd", "/" + r},
		{"/\xff", "/" + r},
		{"/\xc2", "/" + r},                         // cut short
		{"/\xe0\xa0", "/" + r},                     // cut short: one U+FFFD, not Go's two
		{"/\xe0\xa0x", "/" + r + "x"},              // lead and b2 are one malformed sequence
		{"/\xe0\xa0\xe0\xa0", "/" + r + r},         // likewise, then cut short
		{"/\xe0\x80", "/" + r + r},                 // overlong: b2 cannot follow E0
		{"/\xe0\x80\x80", "/" + r + r + r},         // likewise
		{"/\xf0", "/" + r},                         // cut short
		{"/\xf0\x9f\x98", "/" + r},                 // cut short
		{"/\xf0\x9f/", "/" + r + "/"},              // cut short, then '/'
		{"/\xf0\x9f\x98\xe2", "/" + r + r},         // b4 is no continuation
		{"/\xf0\x8f\x80\x80", "/" + r + r + r + r}, // overlong
		{"/\xf4\x90\x80\x80", "/" + r + r + r + r}, // above U+10FFFF
		{"/\xed\xa0\xbd\xed\xb8\x80", "/" + r + r}, // CESU-8 in: one U+FFFD per surrogate
		{"/\xc0\xaf", "/" + r + r},                 // C0 is never a lead
		{"/\xef\xbf\xbd\xf0\x9f\x98\x80", "/" + r + "\xed\xa0\xbd\xed\xb8\x80"},
	} {
		if got := javaString(tc.in); got != tc.want {
			t.Errorf("javaString(%+q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
}

// TestDigestOfJavaString: addauth digest bytes that are not all UTF-8 are
// read as Java reads them and hashed as Java encodes the result; the
// expected id was computed by OpenJDK 17 (new String(b, UTF_8), then
// SHA-1 of getBytes(UTF_8), as DigestAuthenticationProvider does).
func TestDigestOfJavaString(t *testing.T) {
	in := "u\xff\U0001F600\xe2\x82:pw"
	if got, want := javaNormal(in), "u\uFFFD\U0001F600\uFFFD:pw"; got != want {
		t.Fatalf("javaNormal = %q, want %q", got, want)
	}
	if got, want := DigestOf(javaNormal(in)), "u\uFFFD\U0001F600\uFFFD:4NhXJizrlUl1FYN6/vjYKmHeT3s="; got != want {
		t.Errorf("DigestOf = %q, want %q", got, want)
	}
	if got := javaNormal("plain:ascii"); got != "plain:ascii" {
		t.Errorf("javaNormal changed ASCII: %q", got)
	}
	// Written back, the emoji is two three-byte surrogates.
	if got, want := javaString(javaNormal(in)), "u\xef\xbf\xbd\xed\xa0\xbd\xed\xb8\x80\xef\xbf\xbd:pw"; got != want {
		t.Errorf("javaString = %q, want %q", got, want)
	}
}
