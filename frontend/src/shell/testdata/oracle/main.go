package main

// Reads cases: mode \t opts \t word \t env ; prints the case followed by BuildKit's answer.
import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	"oracle/shell"
)

func unesc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s)+0 && i+2 <= len(s)-1 {
			var v byte
			fmt.Sscanf(s[i+1:i+3], "%02x", &v)
			b.WriteByte(v)
			i += 2
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == '|' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func list(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteByte('|')
		b.WriteString(esc(it))
	}
	return b.String()
}

func set(m map[string]struct{}) string {
	var items []string
	for k := range m {
		items = append(items, k)
	}
	sort.Strings(items)
	return list(items)
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		opts, word := f[0], unesc(f[1])
		var env []string
		if len(f) > 2 && f[2] != "" {
			for _, it := range strings.Split(f[2], "|")[1:] {
				env = append(env, unesc(it))
			}
		}
		esc := rune(opts[0])
		lex := shell.NewLex(esc)
		lex.RawQuotes = opts[1] == '1'
		lex.RawEscapes = opts[2] == '1'
		lex.SkipProcessQuotes = opts[3] == '1'
		lex.SkipUnsetEnv = opts[4] == '1'
		res, err := lex.ProcessWordWithMatches(word, shell.EnvsFromSlice(env))
		fmt.Fprintf(out, "%s\t%s\t%s\t", f[0], f[1], f[2])
		if err != nil {
			fmt.Fprintf(out, "err\t%s\n", escS(err.Error()))
		} else {
			fmt.Fprintf(out, "ok\t%s\t%s\t%s\t%s\n", escS(res.Result), list(res.Words), set(res.Matched), set(res.Unmatched))
		}
	}
}

func escS(s string) string { return esc(s) }
