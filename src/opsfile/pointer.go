package opsfile

import (
	"fmt"
	"strconv"
	"strings"
)

// Token is one component of a Pointer: one of KeyToken, IndexToken,
// MatchingIndexToken or AfterLastIndexToken.
type Token interface{ token() }

// KeyToken selects a map key ("/name"). Optional ("/name?") lets replace
// create the key and remove skip it when it is missing.
type KeyToken struct {
	Key      string
	Optional bool
}

// IndexToken selects an array item by position ("/0"; "/-1" counts from the
// end). Modifiers shift it (":prev", ":next") or, as the last token of a
// replace, turn it into an insertion (":before", ":after").
type IndexToken struct {
	Index     int
	Modifiers []Modifier
}

// MatchingIndexToken selects the one array item that is a map whose Key
// holds the string Value ("/name=etcd"). Optional ("/name=etcd?") lets
// replace append such an item and remove skip it when none matches.
type MatchingIndexToken struct {
	Key       string
	Value     string
	Optional  bool
	Modifiers []Modifier
}

// AfterLastIndexToken is "/-", the imaginary position after an array's last
// item; replacing it appends. It may only end a path.
type AfterLastIndexToken struct{}

func (KeyToken) token()            {}
func (IndexToken) token()          {}
func (MatchingIndexToken) token()  {}
func (AfterLastIndexToken) token() {}

// Modifier adjusts an array position: Prev, Next, Before or After.
type Modifier string

// The modifiers go-patch knows, written after a token as ":prev" and so on.
const (
	Prev   Modifier = "prev"
	Next   Modifier = "next"
	Before Modifier = "before"
	After  Modifier = "after"
)

// Escapes inside tokens (RFC 6901 plus go-patch's own): "~0" is "~", "~1" is
// "/", "~2" is "?", "~3" is "=", "~7" is ":". Tokens are split on "/", ":",
// "?" and "=" before unescaping, so escaped characters stay literal.
var (
	tokenUnescaper = strings.NewReplacer("~0", "~", "~1", "/", "~2", "?", "~3", "=", "~7", ":")
	tokenEscaper   = strings.NewReplacer("~", "~0", "/", "~1", "?", "~2", "=", "~3", ":", "~7")
)

// Pointer is a parsed ops-file path. The empty path is the document root;
// every other path starts with "/" (so "/" itself is the map key "", as in
// go-patch).
type Pointer struct {
	tokens []Token
}

// Tokens returns the pointer's components after the root.
func (p Pointer) Tokens() []Token { return p.tokens }

// IsRoot reports whether the pointer addresses the whole document.
func (p Pointer) IsRoot() bool { return len(p.tokens) == 0 }

// NewPointer builds a pointer from tokens; an empty list is the root.
func NewPointer(tokens ...Token) Pointer {
	return Pointer{tokens: append([]Token(nil), tokens...)}
}

// prefix is the pointer made of the first n tokens, used to name the part
// of a path where a lookup failed.
func (p Pointer) prefix(n int) Pointer { return Pointer{tokens: p.tokens[:n]} }

// ParsePointer parses a path such as "/instance_groups/name=etcd/jobs/-".
func ParsePointer(path string) (Pointer, error) {
	if path == "" {
		return Pointer{}, nil
	}
	if !strings.HasPrefix(path, "/") {
		return Pointer{}, fmt.Errorf("Expected path '%s' to start with '/'", path)
	}
	pieces := strings.Split(path, "/")[1:]
	tokens := make([]Token, 0, len(pieces))
	optional := false // a "?" carries over to every token to its right
	for i, piece := range pieces {
		token, err := parseToken(piece, i == len(pieces)-1, &optional)
		if err != nil {
			return Pointer{}, fmt.Errorf("path '%s', token '%s': %w", path, piece, err)
		}
		tokens = append(tokens, token)
	}
	return Pointer{tokens: tokens}, nil
}

// MustParsePointer is ParsePointer for paths written in code.
func MustParsePointer(path string) Pointer {
	p, err := ParsePointer(path)
	if err != nil {
		panic(err)
	}
	return p
}

func parseToken(piece string, isLast bool, optional *bool) (Token, error) {
	name, modifiers, err := splitModifiers(piece)
	if err != nil {
		return nil, err
	}
	if isLast && name == "-" {
		if len(modifiers) > 0 {
			return nil, fmt.Errorf("Expected not to find any modifiers with after last index token")
		}
		return AfterLastIndexToken{}, nil
	}
	if idx, err := strconv.Atoi(name); err == nil {
		return IndexToken{Index: idx, Modifiers: modifiers}, nil
	}
	if strings.HasSuffix(name, "?") {
		*optional = true
		name = strings.TrimSuffix(name, "?")
	}
	if key, value, ok := strings.Cut(name, "="); ok {
		return MatchingIndexToken{
			Key:       tokenUnescaper.Replace(key),
			Value:     tokenUnescaper.Replace(value),
			Optional:  *optional,
			Modifiers: modifiers,
		}, nil
	}
	if len(modifiers) > 0 {
		return nil, fmt.Errorf("Expected not to find any modifiers with key token")
	}
	return KeyToken{Key: tokenUnescaper.Replace(name), Optional: *optional}, nil
}

func splitModifiers(piece string) (string, []Modifier, error) {
	parts := strings.Split(piece, ":")
	var modifiers []Modifier
	for _, m := range parts[1:] {
		switch mod := Modifier(m); mod {
		case Prev, Next, Before, After:
			modifiers = append(modifiers, mod)
		default:
			return "", nil, fmt.Errorf("Expected to find one of the following modifiers: 'prev', 'next', 'before', or 'after' but found '%s'", m)
		}
	}
	return parts[0], modifiers, nil
}

// String renders the pointer back as a path, escaping special characters
// and marking only the first optional token with "?".
func (p Pointer) String() string {
	if p.IsRoot() {
		return ""
	}
	var b strings.Builder
	optionalShown := false
	markOptional := func(optional bool) string {
		if optional && !optionalShown {
			optionalShown = true
			return "?"
		}
		return ""
	}
	for _, t := range p.tokens {
		b.WriteString("/")
		switch t := t.(type) {
		case KeyToken:
			b.WriteString(tokenEscaper.Replace(t.Key) + markOptional(t.Optional))
		case IndexToken:
			b.WriteString(strconv.Itoa(t.Index) + modifiersString(t.Modifiers))
		case MatchingIndexToken:
			b.WriteString(tokenEscaper.Replace(t.Key) + "=" + tokenEscaper.Replace(t.Value) +
				markOptional(t.Optional) + modifiersString(t.Modifiers))
		case AfterLastIndexToken:
			b.WriteString("-")
		}
	}
	return b.String()
}

func modifiersString(modifiers []Modifier) string {
	var b strings.Builder
	for _, m := range modifiers {
		b.WriteString(":" + string(m))
	}
	return b.String()
}
