package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// variableReference matches any ((...)), as the director's config server
// helper finds variables; placeholderName is the director's rule for the
// name inside (letters, digits, '_', '-', '.', '!', '/').
var (
	variableReference = regexp.MustCompile(`\(\((.*?)\)\)`)
	placeholderName   = regexp.MustCompile(`\A[a-zA-Z0-9_\-.!/]+\z`)
)

// checkVariables reports every ((variable)) left in the document. The
// director has no config server, so the CLI must have resolved them all.
func (d *document) checkVariables() error {
	var problems []Problem
	seen := map[string]bool{}
	var walk func(pointer string, value any)
	walk = func(pointer string, value any) {
		switch v := value.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				child := pointer + "/" + escapePointer(k)
				d.reportVariables(k, child, seen, &problems)
				walk(child, v[k])
			}
		case []any:
			for i, item := range v {
				walk(pointer+"/"+strconv.Itoa(i), item)
			}
		case string:
			d.reportVariables(v, pointer, seen, &problems)
		}
	}
	walk("", d.root)
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return a.Line - b.Line })
	return &ValidationError{Document: d.name, Problems: problems, kinds: []error{d.kind, ErrUnresolvedVariables}}
}

func (d *document) reportVariables(text, pointer string, seen map[string]bool, problems *[]Problem) {
	for _, m := range variableReference.FindAllStringSubmatch(text, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		message := fmt.Sprintf("variable ((%s)) at %s is not resolved; the director has no config server, so give its value to the CLI (-v %s=..., -l vars.yml or --vars-store)", m[1], pointer, strings.TrimPrefix(m[1], "!"))
		if !placeholderName.MatchString(m[1]) {
			message = fmt.Sprintf("Variable name '%s' must only contain alphanumeric, underscores, dashes, or forward slash characters (at %s)", m[1], pointer)
		}
		*problems = append(*problems, Problem{Pointer: pointer, Line: d.line(pointer), Message: message})
	}
}
