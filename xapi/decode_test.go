package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeStd is how Parse reads a body with encoding/json: an array in
// one pass, to its end, or one statement, each with unknown properties
// refused.
func decodeStd(body []byte) ([]wireStatement, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if len(body) > 0 && body[0] == '[' {
		var ws []wireStatement
		err := dec.Decode(&ws)
		if err == nil && dec.InputOffset() != int64(len(body)) {
			err = errTrailing
		}
		return ws, err
	}
	var w wireStatement
	err := dec.Decode(&w)
	return []wireStatement{w}, err
}

var errTrailing = errors.New("data after the array")

// fullStatement has every property a statement may carry.
const fullStatement = `{"id": "3B9AC9E8-0d6a-4c5e-9f0e-6a1d2b3c4d5e",
	"actor": {"objectType": "Agent", "name": "Anna \u00e9\"x", "account": {"homePage": "https://www.medicijngebruik.nl/", "name": "1234"}},
	"verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"nl-NL": "geslaagd", "en-US": "passed"}},
	"object": {"objectType": "Activity", "id": "https://moodle.example/course/view.php?id=42",
		"definition": {"name": {"nl-NL": "Medicatiebewaking – één"}, "extensions": {"x": [1, -2.5e3, true, false, null, {}, []]}}},
	"result": {"score": {"scaled": 0.834, "raw": 83.4, "min": 0, "max": 100}, "success": true, "completion": true,
		"response": "ok", "duration": "PT1H", "extensions": {"y": "z"}},
	"context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
	"timestamp": "2026-11-23T14:05:00.123+01:00", "stored": "2026-11-23T14:05:01Z",
	"authority": {"objectType": "Agent", "mbox": "mailto:lms@example.org"}, "version": "1.0.3", "attachments": []}`

func decodeSeeds() []string {
	plain := `{"id": "3b9ac9e8-0d6a-4c5e-9f0e-6a1d2b3c4d5e", "actor": {"objectType": "Agent", "account": {"homePage": "https://s.example", "name": "7"}},
		"verb": {"id": "http://adlnet.gov/expapi/verbs/scored"}, "object": {"id": "https://s.example/courses/c"}, "result": {"score": {"scaled": 0.75}}}`
	return []string{
		plain, fullStatement, "[" + plain + "]", "[" + plain + ",\n " + fullStatement + "]", "[ ]", "[]", "{}", "[{}]", "",
		strings.Replace(plain, `"id"`, `"ID"`, 1),
		strings.Replace(plain, `"id"`, `"\u0069d"`, 1),
		strings.Replace(plain, `"7"`, `"\u0037"`, 1),
		strings.Replace(plain, `"7"`, "\"7\xff\"", 1),
		strings.Replace(plain, `"7"`, "\"7\t\"", 1),
		strings.Replace(plain, `0.75`, `1e999`, 1),
		strings.Replace(plain, `0.75`, `01`, 1),
		strings.Replace(plain, `0.75`, `-`, 1),
		strings.Replace(plain, `0.75`, `"0.75"`, 1),
		strings.Replace(plain, `0.75`, `null`, 1),
		strings.Replace(plain, `{"score"`, `{"success": null, "score"`, 1),
		strings.Replace(plain, `{"score"`, `{"success": tru, "score"`, 1),
		strings.Replace(plain, `"actor"`, `"context": null, "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"context": {"a": 1}, "context": {"b": 2}, "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"actor": {"account": {"name": "8"}}, "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"unknown": 1, "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"context": "\q", "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"context": "\u12", "actor"`, 1),
		strings.Replace(plain, `"actor"`, `"context": [1,], "actor"`, 1),
		plain + " x", plain + ",", "[" + plain + "] x", "[" + plain + ",]", "[" + plain,
		strings.Repeat("[", 40) + strings.Repeat("]", 40),
		strings.Replace(plain, `"actor"`, `"context": `+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`, "actor"`, 1),
	}
}

// FuzzDecodeFastIsEncodingJSON: whatever body decodeFast reads, encoding/json
// reads too, to the same statements; what it does not take, Parse reads
// with encoding/json as before.
func FuzzDecodeFastIsEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeFast(body)
		if !ok {
			return
		}
		std, err := decodeStd(body)
		if err != nil {
			t.Fatalf("%q: decodeFast read it, encoding/json says %v", body, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q:\nfast %#v\nstd  %#v", body, fast, std)
		}
	})
}

// TestDecodeFastTakesTheCommonForms: the bodies a learning environment
// sends (one statement, a batch, every property a statement may carry)
// are read by decodeFast, to what encoding/json reads, and Parse gives
// the same statements as encoding/json's one pass (parseArray).
func TestDecodeFastTakesTheCommonForms(t *testing.T) {
	plain := decodeSeeds()[0]
	for _, body := range []string{plain, fullStatement, "[" + plain + "]", "[ " + strings.ReplaceAll(plain, "3b9ac9e8", "3b9ac9e9") + " ,\n" + fullStatement + " ]"} {
		fast, ok := decodeFast([]byte(body))
		if !ok {
			t.Errorf("%.60s…: not taken", body)
			continue
		}
		std, err := decodeStd([]byte(body))
		if err != nil || !reflect.DeepEqual(fast, std) {
			t.Errorf("%.60s…: fast %#v, encoding/json %#v (%v)", body, fast, std, err)
		}
		arr := body
		if arr[0] != '[' {
			arr = "[" + arr + "]"
		}
		got, err := Parse([]byte(body), true)
		want, ok := parseArray([]byte(arr), true)
		if err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%.60s…: Parse %+v (%v), parseArray %+v", body, got, err, want)
		}
	}
	for _, body := range decodeSeeds()[4:] {
		if _, ok := decodeFast([]byte(body)); ok {
			if _, err := decodeStd([]byte(body)); err != nil {
				t.Errorf("%q: taken, but encoding/json says %v", body, err)
			}
		}
	}
}
