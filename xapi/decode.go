package xapi

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeFast reads a body of the shape a learning environment sends —
// one statement object, or an array of them — into wireStatements
// without reflection (issue 16: encoding/json was about 8 µs of a
// statement's CPU). It takes only what it can read exactly as
// encoding/json would (with DisallowUnknownFields): property names in
// their exact case, each once; strings without escapes; no null. For
// anything else — an error, or a form it does not take — it says false,
// and Parse reads the body with encoding/json as before, so what is
// accepted and every error told stay encoding/json's.
// FuzzDecodeFastIsEncodingJSON holds it to that.
func decodeFast(body []byte) ([]wireStatement, bool) {
	d := fastDecoder{b: body}
	var out []wireStatement
	if d.peek() == '[' {
		d.i++
		d.space()
		if d.peek() == ']' {
			return nil, false
		}
		for {
			out = append(out, wireStatement{})
			if !d.statement(&out[len(out)-1]) || len(out) > MaxBatch {
				return nil, false
			}
			d.space()
			if d.peek() == ',' {
				d.i++
				continue
			}
			if !d.expect(']') {
				return nil, false
			}
			break
		}
	} else {
		out = make([]wireStatement, 1)
		if !d.statement(&out[0]) {
			return nil, false
		}
	}
	d.space()
	return out, d.i == len(d.b)
}

type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// space skips JSON's whitespace.
func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) expect(c byte) bool {
	d.space()
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// object reads an object's members, calling member for each name with
// the decoder at its value; member says false for a name it does not
// take or a value it cannot read. A name seen twice is not taken
// (encoding/json would merge or overwrite).
func (d *fastDecoder) object(member func(name []byte) bool) bool {
	if !d.expect('{') {
		return false
	}
	d.space()
	if d.peek() == '}' {
		d.i++
		return true
	}
	var names [16][]byte
	seen := names[:0]
	for {
		d.space()
		name, ok := d.strBytes()
		if !ok || !d.expect(':') {
			return false
		}
		for _, n := range seen {
			if string(n) == string(name) {
				return false
			}
		}
		seen = append(seen, name)
		d.space()
		if !member(name) {
			return false
		}
		d.space()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string without escapes or control characters, in valid
// UTF-8: its value is then its bytes, as encoding/json would give it.
func (d *fastDecoder) str() (string, bool) {
	b, ok := d.strBytes()
	return string(b), ok
}

// strBytes is str without making a string: a property's name.
func (d *fastDecoder) strBytes() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	start, ascii := d.i+1, true
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := d.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			d.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

func (d *fastDecoder) strPtr(p **string) bool {
	s, ok := d.str()
	*p = &s
	return ok
}

func (d *fastDecoder) boolPtr(p **bool) bool {
	var v bool
	switch {
	case d.literal("true"):
		v = true
	case d.literal("false"):
	default:
		return false
	}
	*p = &v
	return true
}

func (d *fastDecoder) literal(w string) bool {
	if len(d.b)-d.i >= len(w) && string(d.b[d.i:d.i+len(w)]) == w {
		d.i += len(w)
		return true
	}
	return false
}

// number reads a JSON number as encoding/json reads one into a float64
// (strconv.ParseFloat of the literal; out of range is not taken).
func (d *fastDecoder) number(p **float64) bool {
	start := d.i
	if !d.skipNumber() {
		return false
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return false
	}
	*p = &f
	return true
}

// skipNumber passes a number of JSON's grammar:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (d *fastDecoder) skipNumber() bool {
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return false
	}
	if d.peek() == '.' {
		d.i++
		if !d.digits() {
			return false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digits() {
			return false
		}
	}
	return true
}

func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// raw passes any JSON value other than null (a property Steward allows
// and does not keep) and sets p to its bytes, as a json.RawMessage would
// hold them.
func (d *fastDecoder) raw(p *json.RawMessage) bool {
	start := d.i
	if d.peek() == 'n' || !d.skip(0) {
		return false
	}
	*p = json.RawMessage(d.b[start:d.i])
	return true
}

// skip passes one JSON value, checked as strictly as encoding/json's
// scanner or more (strings with escapes are JSON's, in valid UTF-8);
// nesting deeper than a statement needs is not taken.
func (d *fastDecoder) skip(depth int) bool {
	if depth > 32 {
		return false
	}
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) bool { return d.skip(depth + 1) })
	case c == '[':
		d.i++
		d.space()
		if d.peek() == ']' {
			d.i++
			return true
		}
		for {
			d.space()
			if !d.skip(depth + 1) {
				return false
			}
			d.space()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		return d.skipString()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.skipNumber()
	}
}

// skipString passes a string with JSON's escapes.
func (d *fastDecoder) skipString() bool {
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			if !utf8.Valid(d.b[start:j]) {
				return false
			}
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(d.b) {
				return false
			}
			switch d.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d.b) {
					return false
				}
				for _, h := range d.b[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// statement reads one statement object (xAPI-Data 2.2, the properties
// wireStatement names).
func (d *fastDecoder) statement(w *wireStatement) bool {
	return d.object(func(name []byte) bool {
		switch string(name) {
		case "id":
			return d.strPtr(&w.ID)
		case "timestamp":
			return d.strPtr(&w.Timestamp)
		case "actor":
			w.Actor = &wireActor{}
			return d.actor(w.Actor)
		case "verb":
			w.Verb = &wireVerb{}
			return d.object(func(name []byte) bool {
				switch string(name) {
				case "id":
					return d.strInto(&w.Verb.ID)
				case "display":
					return d.raw(&w.Verb.Display)
				}
				return false
			})
		case "object":
			w.Object = &wireObject{}
			return d.object(func(name []byte) bool {
				switch string(name) {
				case "objectType":
					return d.strInto(&w.Object.ObjectType)
				case "id":
					return d.strInto(&w.Object.ID)
				case "definition":
					return d.raw(&w.Object.Definition)
				}
				return false
			})
		case "result":
			w.Result = &wireResult{}
			return d.result(w.Result)
		case "context":
			return d.raw(&w.Context)
		case "stored":
			return d.raw(&w.Stored)
		case "authority":
			return d.raw(&w.Authority)
		case "version":
			return d.raw(&w.Version)
		case "attachments":
			return d.raw(&w.Attachments)
		}
		return false
	})
}

func (d *fastDecoder) strInto(p *string) bool {
	s, ok := d.str()
	*p = s
	return ok
}

func (d *fastDecoder) actor(a *wireActor) bool {
	return d.object(func(name []byte) bool {
		switch string(name) {
		case "objectType":
			return d.strInto(&a.ObjectType)
		case "name":
			return d.raw(&a.Name)
		case "mbox":
			return d.raw(&a.Mbox)
		case "mbox_sha1sum":
			return d.raw(&a.MboxSHA1)
		case "openid":
			return d.raw(&a.OpenID)
		case "member":
			return d.raw(&a.Member)
		case "account":
			a.Account = &wireAccount{}
			return d.object(func(name []byte) bool {
				switch string(name) {
				case "homePage":
					return d.strInto(&a.Account.HomePage)
				case "name":
					return d.strInto(&a.Account.Name)
				}
				return false
			})
		}
		return false
	})
}

func (d *fastDecoder) result(r *wireResult) bool {
	return d.object(func(name []byte) bool {
		switch string(name) {
		case "success":
			return d.boolPtr(&r.Success)
		case "completion":
			return d.boolPtr(&r.Completion)
		case "response":
			return d.raw(&r.Response)
		case "duration":
			return d.raw(&r.Duration)
		case "extensions":
			return d.raw(&r.Extensions)
		case "score":
			r.Score = &wireScore{}
			return d.object(func(name []byte) bool {
				switch string(name) {
				case "scaled":
					return d.number(&r.Score.Scaled)
				case "raw":
					return d.number(&r.Score.Raw)
				case "min":
					return d.number(&r.Score.Min)
				case "max":
					return d.number(&r.Score.Max)
				}
				return false
			})
		}
		return false
	})
}
