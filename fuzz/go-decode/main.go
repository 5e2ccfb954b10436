// Command go-decode checks what the fuzz targets encoded for BuildKit with BuildKit's own Go
// types and code (v0.34.2): every message must decode, carry no field Go does not know, and
// where our encoding is meant to be Go's, re-encode to the same bytes. It reads the dumps the
// fuzz targets write with DFRS_FUZZ_DUMP (fuzz/src/dump.rs): records of a tag byte, a length
// (uint32, little endian) and a payload.
//
// Usage: go-decode [-max-failures N] [-v] DUMP...
//
//	I  the fuzz input the next records come from (its sha1 names the corpus file)
//	D  pb.Definition: decoded, re-encoded deterministically (the bytes must match), each op
//	   likewise, the metadata and source map keyed by the ops' digests; then loaded as the
//	   daemon loads it (llbsolver.Load) and as a client reads it (llb.NewDefinitionOp)
//	S  google.rpc.Status: decoded and re-encoded, each detail decoded (errdefs.Source and
//	   errdefs.Subrequest) and re-encoded, then read as buildctl reads an error
//	   (grpcerrors.FromGRPC) and each source printed (errdefs.Source.Print)
//	C  an image config: decoded into dockerspec.DockerOCIImage (no unknown fields) and
//	   json.Marshal'd again (the bytes must match)
//	R  gateway pb.Result: decoded; its image configs as C; refs.platforms as the exporter
//	   reads it (exptypes.ParsePlatforms), each platform with its ref and config
//	W  gateway pb.WarnRequest: decoded and re-encoded, its source printed
//	O, T, L, E  subrequest results (outline, targets, lint, describe): result.json decoded
//	   into BuildKit's types (no unknown fields), then BuildKit's own ToResult on them: every
//	   metadata key and value must be ours
//	P  a .dockerignore: read by moby's ignorefile.ReadAll, the patterns must be ours
//	M  patterns and a path: moby's patternmatcher must agree with our matcher
package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/containerd/typeurl/v2"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/frontend/subrequests"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/llbsolver"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

var kinds = map[byte]string{
	'D': "definition", 'S': "status", 'C': "image config", 'R': "result", 'W': "warning",
	'O': "outline", 'T': "targets", 'L': "lint", 'E': "describe",
	'P': "dockerignore", 'M': "pattern match",
}

type checker struct {
	input    []byte
	counts   map[byte]int
	failures map[string][]string // by kind of failure: examples
	failed   int
	known    map[string]int // known differences (not failures), by kind
	verbose  bool
}

func (c *checker) failf(kind, format string, args ...any) {
	c.failed++
	sum := sha1.Sum(c.input)
	in := c.input
	if len(in) > 300 {
		in = append(in[:300:300], "…"...)
	}
	msg := fmt.Sprintf("input %s (%q): %s", hex.EncodeToString(sum[:]), in, fmt.Sprintf(format, args...))
	c.failures[kind] = append(c.failures[kind], msg)
	if c.verbose {
		fmt.Fprintln(os.Stderr, "FAIL", kind+":", msg)
	}
}

func main() {
	maxFailures := flag.Int("max-failures", 3, "examples printed per kind of failure")
	verbose := flag.Bool("v", false, "print every failure as it is found")
	flag.Parse()
	c := &checker{counts: map[byte]int{}, failures: map[string][]string{}, known: map[string]int{}, verbose: *verbose}
	for _, path := range flag.Args() {
		if err := c.file(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
	}
	var tags []string
	for t, n := range c.counts {
		if t == 'I' {
			continue
		}
		tags = append(tags, fmt.Sprintf("%s %d", kinds[t], n))
	}
	sort.Strings(tags)
	fmt.Printf("go-decode: %d inputs; checked: %s\n", c.counts['I'], strings.Join(tags, ", "))
	for k, n := range c.known {
		fmt.Printf("go-decode: known difference, not a failure: %s: %d\n", k, n)
	}
	if c.failed == 0 {
		fmt.Println("go-decode: all decoded as BuildKit decodes them")
		return
	}
	var kindsFailed []string
	for k := range c.failures {
		kindsFailed = append(kindsFailed, k)
	}
	sort.Strings(kindsFailed)
	for _, k := range kindsFailed {
		ex := c.failures[k]
		fmt.Printf("FAIL %s: %d\n", k, len(ex))
		for i, e := range ex {
			if i == *maxFailures {
				break
			}
			fmt.Printf("  %s\n", e)
		}
	}
	fmt.Printf("go-decode: %d failures\n", c.failed)
	os.Exit(1)
}

func (c *checker) file(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		if len(data) < 5 {
			return fmt.Errorf("truncated record header")
		}
		tag := data[0]
		n := binary.LittleEndian.Uint32(data[1:5])
		if uint64(len(data)-5) < uint64(n) {
			return fmt.Errorf("truncated record %q", tag)
		}
		payload := data[5 : 5+n]
		data = data[5+n:]
		if tag == 'I' {
			c.input = payload
			c.counts['I']++
			continue
		}
		if _, ok := kinds[tag]; !ok {
			return fmt.Errorf("unknown record tag %q", tag)
		}
		c.counts[tag]++
		c.record(tag, payload)
	}
	return nil
}

func (c *checker) record(tag byte, b []byte) {
	defer func() {
		if r := recover(); r != nil {
			c.failf(kinds[tag]+": Go panicked", "%v", r)
		}
	}()
	switch tag {
	case 'D':
		c.definition(b)
	case 'S':
		c.status(b)
	case 'C':
		c.imageConfig("image config", b)
	case 'R':
		c.result(b)
	case 'W':
		c.warning(b)
	case 'O', 'T', 'L', 'E':
		c.subrequest(tag, b)
	case 'P':
		c.ignoreFile(b)
	case 'M':
		c.patternMatch(b)
	}
}

// decode unmarshals b into m, checking that no field is unknown to Go and, when exact,
// that Go's deterministic encoding gives the same bytes.
func (c *checker) decode(kind string, b []byte, m proto.Message, exact bool) bool {
	if err := proto.Unmarshal(b, m); err != nil {
		c.failf(kind+": does not decode", "%v", err)
		return false
	}
	if u := unknownFields(m.ProtoReflect(), string(m.ProtoReflect().Descriptor().FullName())); len(u) > 0 {
		c.failf(kind+": fields Go does not know", "%s", strings.Join(u, ", "))
		return false
	}
	if !exact {
		return true
	}
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		c.failf(kind+": Go cannot encode it again", "%v", err)
		return false
	}
	if !bytes.Equal(again, b) {
		c.failf(kind+": Go encodes it differently", "ours %x, Go's %x", b, again)
		return false
	}
	return true
}

func unknownFields(m protoreflect.Message, path string) []string {
	var out []string
	if len(m.GetUnknown()) > 0 {
		out = append(out, fmt.Sprintf("%s (%x)", path, []byte(m.GetUnknown())))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "." + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				out = append(out, unknownFields(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))...)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				out = append(out, unknownFields(mv.Message(), fmt.Sprintf("%s[%v]", p, k))...)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			out = append(out, unknownFields(v.Message(), p)...)
		}
		return true
	})
	return out
}

func (c *checker) definition(b []byte) {
	var def pb.Definition
	if !c.decode("definition", b, &def, true) {
		return
	}
	c.checkDefinition("definition", &def, true)
}

// checkDefinition checks each op and the maps keyed by op digests; load: also as the daemon
// loads a definition to solve (a Dockerfile's source definition is only read by clients).
func (c *checker) checkDefinition(kind string, def *pb.Definition, load bool) {
	digests := map[string]bool{}
	for i, dt := range def.Def {
		var op pb.Op
		if !c.decode(kind+": op", dt, &op, true) {
			return
		}
		d := digest.FromBytes(dt).String()
		digests[d] = true
		for _, in := range op.Inputs {
			if !digests[in.Digest] {
				c.failf(kind+": an input is not an earlier op", "op %d input %s", i, in.Digest)
				return
			}
		}
	}
	for k := range def.Metadata {
		if !digests[k] {
			c.failf(kind+": metadata of no op", "%s", k)
		}
	}
	if def.Source != nil {
		for k := range def.Source.Locations {
			if !digests[k] {
				c.failf(kind+": source locations of no op", "%s", k)
			}
		}
	}
	if len(def.Def) == 0 {
		// A scratch result: the daemon solves an empty definition to an empty ref.
		return
	}
	if _, err := llb.NewDefinitionOp(def); err != nil {
		c.failf(kind+": a client cannot read it (llb.NewDefinitionOp)", "%v", err)
	}
	if load {
		if _, err := llbsolver.Load(context.Background(), def, nil); err != nil {
			c.failf(kind+": the daemon cannot load it (llbsolver.Load)", "%v", err)
		}
	}
}

func (c *checker) status(b []byte) {
	var st spb.Status
	if !c.decode("status", b, &st, true) {
		return
	}
	sources := 0
	for _, d := range st.Details {
		if strings.HasSuffix(d.TypeUrl, "+json") {
			v, err := typeurl.UnmarshalAny(d)
			if err != nil {
				c.failf("status: detail does not decode", "%s: %v", d.TypeUrl, err)
				continue
			}
			again, err := json.Marshal(v)
			if err != nil || !bytes.Equal(again, d.Value) {
				c.failf("status: JSON detail encodes differently", "%s: ours %q, Go's %q (%v)", d.TypeUrl, d.Value, again, err)
			}
			continue
		}
		m, err := anypb.UnmarshalNew(d, proto.UnmarshalOptions{})
		if err != nil {
			c.failf("status: detail does not decode", "%s: %v", d.TypeUrl, err)
			continue
		}
		if !c.decode("status detail "+d.TypeUrl, d.Value, m, true) {
			continue
		}
		if src, ok := m.(*errdefs.Source); ok {
			sources++
			if src.Info != nil && src.Info.Definition != nil {
				c.checkDefinition("status source definition", src.Info.Definition, false)
			}
		}
	}
	err := grpcerrors.FromGRPC(status.ErrorProto(&st))
	if err == nil {
		c.failf("status: no error", "%v", &st)
		return
	}
	srcs := errdefs.Sources(err)
	if len(srcs) != sources {
		c.failf("status: sources lost", "%d in the status, %d read by grpcerrors", sources, len(srcs))
	}
	for _, s := range srcs {
		if perr := s.Print(io.Discard); perr != nil {
			c.failf("status: source does not print", "%v", perr)
		}
	}
}

func (c *checker) warning(b []byte) {
	var w gwpb.WarnRequest
	if !c.decode("warning", b, &w, true) {
		return
	}
	if w.Info != nil && w.Info.Definition != nil {
		c.checkDefinition("warning source definition", w.Info.Definition, false)
	}
	src := errdefs.Source{Info: w.Info, Ranges: w.Ranges}
	if err := src.Print(io.Discard); err != nil {
		c.failf("warning: source does not print", "%v", err)
	}
}

func (c *checker) imageConfig(kind string, b []byte) {
	var img dockerspec.DockerOCIImage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&img); err != nil {
		c.failf(kind+": does not decode", "%v: %s", err, b)
		return
	}
	if dec.More() {
		c.failf(kind+": trailing data", "%s", b)
		return
	}
	again, err := json.Marshal(img)
	if err != nil {
		c.failf(kind+": Go cannot encode it again", "%v", err)
		return
	}
	if !bytes.Equal(again, b) {
		c.failf(kind+": Go encodes it differently", "ours %s, Go's %s", b, again)
	}
}

func (c *checker) result(b []byte) {
	var res gwpb.Result
	if !c.decode("result", b, &res, false) {
		return
	}
	for k, v := range res.Metadata {
		if k == exptypes.ExporterImageConfigKey || strings.HasPrefix(k, exptypes.ExporterImageConfigKey+"/") ||
			k == exptypes.ExporterImageBaseConfigKey || strings.HasPrefix(k, exptypes.ExporterImageBaseConfigKey+"/") {
			c.imageConfig("result "+strings.SplitN(k, "/", 2)[0], v)
		}
	}
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		c.failf("result: platforms do not parse (exptypes.ParsePlatforms)", "%v", err)
		return
	}
	var raw exptypes.Platforms
	if err := json.Unmarshal(res.Metadata[exptypes.ExporterPlatformsKey], &raw); err == nil {
		again, _ := json.Marshal(raw)
		if !bytes.Equal(again, res.Metadata[exptypes.ExporterPlatformsKey]) {
			c.failf("result: platforms encode differently", "ours %s, Go's %s", res.Metadata[exptypes.ExporterPlatformsKey], again)
		}
	}
	switch r := res.Result.(type) {
	case *gwpb.Result_Refs:
		for _, p := range ps.Platforms {
			if _, ok := r.Refs.Refs[p.ID]; !ok {
				c.failf("result: a platform without its ref", "%s", p.ID)
			}
			if _, ok := res.Metadata[exptypes.ExporterImageConfigKey+"/"+p.ID]; !ok {
				c.failf("result: a platform without its config", "%s", p.ID)
			}
		}
	case *gwpb.Result_Ref:
		if len(ps.Platforms) != 1 {
			c.failf("result: one ref, several platforms", "%d", len(ps.Platforms))
		}
	default:
		c.failf("result: neither ref nor refs", "%T", r)
	}
}

// metadata reads our result metadata: each key and value as a length (uint32 LE) and bytes.
func metadata(b []byte) (map[string][]byte, []string, error) {
	md := map[string][]byte{}
	var keys []string
	for len(b) > 0 {
		var parts [2][]byte
		for i := range parts {
			if len(b) < 4 {
				return nil, nil, fmt.Errorf("truncated metadata")
			}
			n := binary.LittleEndian.Uint32(b)
			if uint64(len(b)-4) < uint64(n) {
				return nil, nil, fmt.Errorf("truncated metadata")
			}
			parts[i] = b[4 : 4+n]
			b = b[4+n:]
		}
		md[string(parts[0])] = parts[1]
		keys = append(keys, string(parts[0]))
	}
	return md, keys, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (c *checker) subrequest(tag byte, b []byte) {
	kind := kinds[tag]
	ours, _, err := metadata(b)
	if err != nil {
		c.failf(kind+": bad record", "%v", err)
		return
	}
	js := ours["result.json"]
	var goMeta map[string][]byte
	switch tag {
	case 'O':
		var o outline.Outline
		if err = strictJSON(js, &o); err == nil {
			var res *goResult
			res, err = wrap(o.ToResult())
			goMeta = res.meta()
		}
	case 'T':
		var l targets.List
		if err = strictJSON(js, &l); err == nil {
			var res *goResult
			res, err = wrap(l.ToResult())
			goMeta = res.meta()
		}
	case 'L':
		var l lint.LintResults
		if err = strictJSON(js, &l); err == nil {
			var res *goResult
			res, err = wrap(l.ToResult(nil))
			goMeta = res.meta()
		}
	case 'E':
		var all []subrequests.Request
		if err = strictJSON(js, &all); err == nil {
			goMeta, err = describe(all)
		}
	}
	if err != nil {
		c.failf(kind+": BuildKit cannot read it", "%v: %s", err, js)
		return
	}
	var keys []string
	for k := range goMeta {
		keys = append(keys, k)
	}
	for k := range ours {
		if _, ok := goMeta[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, inGo := goMeta[k]
		o, inOurs := ours[k]
		switch {
		case !inGo:
			c.failf(kind+": metadata BuildKit does not write", "%s", k)
		case !inOurs:
			c.failf(kind+": metadata missing", "%s", k)
		case !bytes.Equal(g, o):
			c.failf(kind+": "+k+" differs from BuildKit's", "ours %q, BuildKit's %q", o, g)
		}
	}
}

// describe is dockerui's describe for a frontend with outline and targets.
func describe(all []subrequests.Request) (map[string][]byte, error) {
	dt, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	b := bytes.NewBuffer(nil)
	if err := subrequests.PrintDescribe(dt, b); err != nil {
		return nil, err
	}
	return map[string][]byte{"result.json": dt, "result.txt": b.Bytes(), "version": []byte(subrequests.SubrequestsDescribeDefinition.Version)}, nil
}

func (c *checker) ignoreFile(b []byte) {
	var rec struct {
		Text     string   `json:"text"`
		Patterns []string `json:"patterns"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		c.failf("dockerignore: bad record", "%v", err)
		return
	}
	got, err := ignorefile.ReadAll(strings.NewReader(rec.Text))
	if err != nil {
		c.failf("dockerignore: moby cannot read it", "%v", err)
		return
	}
	if len(got) == 0 {
		got = []string{}
	}
	if rec.Patterns == nil {
		rec.Patterns = []string{}
	}
	g, _ := json.Marshal(got)
	o, _ := json.Marshal(rec.Patterns)
	if !bytes.Equal(g, o) {
		c.failf("dockerignore: patterns differ from moby's (ignorefile.ReadAll)", "text %q: ours %s, moby's %s", rec.Text, o, g)
	}
}

func (c *checker) patternMatch(b []byte) {
	var rec struct {
		Patterns   []string `json:"patterns"`
		Path       string   `json:"path"`
		Matches    bool     `json:"matches"`
		Error      *string  `json:"error"`
		MatchError *string  `json:"match_error"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		c.failf("pattern match: bad record", "%v", err)
		return
	}
	pm, err := patternmatcher.New(rec.Patterns)
	switch {
	case err != nil && rec.Error == nil:
		c.failf("pattern match: moby refuses patterns we accept", "%q: %v", rec.Patterns, err)
		return
	case err == nil && rec.Error != nil:
		c.failf("pattern match: we refuse patterns moby accepts", "%q: %s", rec.Patterns, *rec.Error)
		return
	case err != nil:
		return
	}
	// patternmatcher's text/scanner reports a NUL in a pattern on stderr, and goes on.
	stderr := os.Stderr
	os.Stderr, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	m, err := pm.MatchesOrParentMatches(rec.Path)
	os.Stderr.Close()
	os.Stderr = stderr
	kind := ""
	switch {
	case err != nil && rec.MatchError == nil:
		kind = "pattern match: moby fails to match, we do not"
	case err == nil && rec.MatchError != nil:
		kind = "pattern match: we fail to match, moby does not"
	case err == nil && m != rec.Matches:
		kind = "pattern match: differs from moby's (patternmatcher.MatchesOrParentMatches)"
	default:
		return
	}
	if p := regexpDialect(rec.Patterns); p != "" {
		// Known: the patterns become Go regexps, which Rust's regex crate reads otherwise.
		c.known["pattern match: a regexp construct Go and Rust read differently"]++
		return
	}
	c.failf(kind, "patterns %q, path %q: ours %v (%v), moby's %v (%v)", rec.Patterns, rec.Path, rec.Matches, deref(rec.MatchError), m, err)
}

func deref(s *string) string {
	if s == nil {
		return "no error"
	}
	return *s
}

// regexpDialect names the first pattern with a construct patternmatcher passes to Go's regexp
// that Rust's regex crate parses differently (the matcher compiles the same regexp string with
// it: docs/testing.md, known differences): a brace (patternmatcher passes `{}` unescaped;
// Go and Rust differ on what repeats), an escaped letter or digit (\d, \b, \Q, octal …,
// ASCII in Go and Unicode in Rust, or only one of them knows it), or a bracket expression with
// a construct only Rust's classes have (nested [, &&, --, ~~) or a * or ? inside it (which
// patternmatcher turns into a nested class).
func regexpDialect(patterns []string) string {
	for _, p := range patterns {
		inClass := false
		for i := 0; i < len(p); i++ {
			ch := p[i]
			switch {
			case ch == '\\' && i+1 < len(p):
				n := p[i+1]
				if n >= 0x80 || ('0' <= n && n <= '9') || ('a' <= n && n <= 'z') || ('A' <= n && n <= 'Z') {
					return p
				}
				i++
			case ch == '{' || ch == '}':
				// Go reads a brace as a repetition only in some forms, a literal otherwise;
				// Rust refuses what is no repetition.
				return p
			case !inClass && ch == '[':
				inClass = true
			case inClass && ch == ']':
				inClass = false
			case inClass && (ch == '[' || ch == '*' || ch == '?'):
				return p
			case inClass && i+1 < len(p) && (ch == '&' || ch == '-' || ch == '~') && p[i+1] == ch:
				return p
			}
		}
	}
	return ""
}

type goResult struct{ r *client.Result }

func wrap(r *client.Result, err error) (*goResult, error) { return &goResult{r}, err }

func (g *goResult) meta() map[string][]byte {
	if g == nil || g.r == nil {
		return nil
	}
	return g.r.Metadata
}
