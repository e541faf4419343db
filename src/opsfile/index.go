package opsfile

import "fmt"

// arrayIndex turns an index and its ":prev"/":next" modifiers into a
// position inside an array of the given length; negative indexes count
// from the end. path names the token in errors.
func arrayIndex(index int, modifiers []Modifier, length int, path Pointer) (int, error) {
	result := index
	for _, m := range modifiers {
		switch m {
		case Prev:
			result--
		case Next:
			result++
		default:
			return 0, fmt.Errorf("Expected to find one of the following modifiers: 'prev', 'next', but found modifier '%s' at path '%s'", m, path)
		}
	}
	if result >= length || -result-1 >= length {
		return 0, &MissingIndexError{Index: result, Length: length, Path: path}
	}
	if result < 0 {
		result += length
	}
	return result, nil
}

// insertion is where a replace puts its value in an array: over the item at
// position, or (insert) as a new item before it.
type insertion struct {
	position int
	insert   bool
}

// arrayInsertion resolves the last token of a replace: ":before" and
// ":after" turn it into an insertion and must be the last modifier;
// ":prev"/":next" before them shift the anchor item.
func arrayInsertion(index int, modifiers []Modifier, length int, path Pointer) (insertion, error) {
	var shifts []Modifier
	var placement Modifier
	for _, m := range modifiers {
		if placement != "" {
			return insertion{}, fmt.Errorf("Expected to not find any modifiers after '%s' modifier, but found modifier '%s' at path '%s'", placement, m, path)
		}
		if m == Before || m == After {
			placement = m
			continue
		}
		shifts = append(shifts, m)
	}
	position, err := arrayIndex(index, shifts, length, path)
	if err != nil {
		return insertion{}, err
	}
	if placement == After {
		position++
	}
	return insertion{position: position, insert: placement != ""}, nil
}

// apply returns the array with value placed as the insertion says. It
// builds a new slice for insertions, since the array may be shared with
// its parent only through the returned value.
func (in insertion) apply(array []any, value any) []any {
	if !in.insert {
		array[in.position] = value
		return array
	}
	out := make([]any, 0, len(array)+1)
	out = append(out, array[:in.position]...)
	out = append(out, value)
	return append(out, array[in.position:]...)
}

// matchingIndexes lists the positions of the array items that are maps
// whose key holds the string value; like go-patch, only strings match.
func matchingIndexes(array []any, key, value string) []int {
	var idxs []int
	for i, item := range array {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if s, ok := m[key].(string); ok && s == value {
			idxs = append(idxs, i)
		}
	}
	return idxs
}

func withoutItem(array []any, position int) []any {
	out := make([]any, 0, len(array)-1)
	out = append(out, array[:position]...)
	return append(out, array[position+1:]...)
}

// asMap checks that a key token steps into a map.
func asMap(node any, here Pointer) (map[string]any, error) {
	m, ok := node.(map[string]any)
	if !ok {
		return nil, &TypeMismatchError{Expected: "a map", Path: here, Found: node}
	}
	return m, nil
}

// asArray checks that an index token steps into an array.
func asArray(node any, here Pointer) ([]any, error) {
	array, ok := node.([]any)
	if !ok {
		return nil, &TypeMismatchError{Expected: "an array", Path: here, Found: node}
	}
	return array, nil
}

// soleMatch finds the one item a key=value token matches, before its
// modifiers apply; none reports an optional token that matched nothing.
func soleMatch(array []any, t MatchingIndexToken, here Pointer) (idx int, none bool, err error) {
	idxs := matchingIndexes(array, t.Key, t.Value)
	if t.Optional && len(idxs) == 0 {
		return 0, true, nil
	}
	if len(idxs) != 1 {
		return 0, false, &MatchCountError{Path: here, Matches: len(idxs)}
	}
	return idxs[0], false, nil
}
