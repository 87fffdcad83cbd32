package admin

import (
	"math"
	"strconv"
	"strings"
)

// Obj is a JSON object whose keys keep their insertion order, as the
// LinkedHashMaps of ZooKeeper's CommandResponse do.
type Obj []Field

// Field is one key of an Obj. Value is nil, bool, an integer, float64,
// string, Obj, or a slice of those ([]any, []int64, []string, []Obj).
type Field struct {
	Key   string
	Value any
}

// Set replaces key's value, or appends key when absent (LinkedHashMap.put).
func (o Obj) Set(key string, v any) Obj {
	for i := range o {
		if o[i].Key == key {
			o[i].Value = v
			return o
		}
	}
	return append(o, Field{key, v})
}

// Get returns key's value and whether it is present.
func (o Obj) Get(key string) (any, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// marshalPretty writes v as Jackson's DefaultPrettyPrinter does (the
// AdminServer's JsonOutputter): two-space indented objects with " : "
// between key and value, arrays on one line ("[ 1, 2 ]"), "{ }" and "[ ]"
// when empty, and no final newline.
func marshalPretty(v any) []byte {
	var b strings.Builder
	writeJSON(&b, v, 0)
	return []byte(b.String())
}

func writeJSON(b *strings.Builder, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		// Jackson writes a double as Double.toString does, except for the
		// non-finite values, which it quotes.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			writeString(b, JavaDouble(x))
		} else {
			b.WriteString(JavaDouble(x))
		}
	case string:
		writeString(b, x)
	case Obj:
		if len(x) == 0 {
			b.WriteString("{ }")
			return
		}
		b.WriteString("{")
		for i, f := range x {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n")
			indent(b, depth+1)
			writeString(b, f.Key)
			b.WriteString(" : ")
			writeJSON(b, f.Value, depth+1)
		}
		b.WriteString("\n")
		indent(b, depth)
		b.WriteString("}")
	case []Obj:
		writeArray(b, len(x), func(i int) any { return x[i] }, depth)
	case []int64:
		writeArray(b, len(x), func(i int) any { return x[i] }, depth)
	case []string:
		writeArray(b, len(x), func(i int) any { return x[i] }, depth)
	case []any:
		writeArray(b, len(x), func(i int) any { return x[i] }, depth)
	default:
		writeString(b, "unsupported")
	}
}

func writeArray(b *strings.Builder, n int, at func(int) any, depth int) {
	if n == 0 {
		b.WriteString("[ ]")
		return
	}
	b.WriteString("[ ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		writeJSON(b, at(i), depth)
	}
	b.WriteString(" ]")
}

func indent(b *strings.Builder, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

// writeString quotes s as Jackson does: '"' and '\\' escaped, control
// characters as \n, \t, ... or \u00XX; everything else (including '/' and
// non-ASCII) as is.
func writeString(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// JavaDouble formats v as Java's Double.toString: plain decimal with at
// least one fractional digit for 1e-3 <= |v| < 1e7 ("0.0", "12.75"),
// computerized scientific notation otherwise ("1.0E7", "2.5E-4").
// ZooKeeper prints averages this way in srvr, mntr and the AdminServer.
func JavaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // "1E+07", "2.5E-04"
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, err := strconv.Atoi(exp)
	if err != nil {
		return s
	}
	return mant + "E" + strconv.Itoa(e)
}
