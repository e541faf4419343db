package opsfile

import "fmt"

// Find returns a copy of the value that path addresses in doc. A missing
// optional key yields nil; a missing optional key=value item yields the map
// {key: value} that replace would create.
func Find(doc any, path Pointer) (any, error) {
	return findAt(Clone(doc), path, 0)
}

func findAt(node any, path Pointer, i int) (any, error) {
	tokens := path.tokens
	if i == len(tokens) {
		return node, nil
	}
	here := path.prefix(i + 1)
	isLast := i == len(tokens)-1

	switch t := tokens[i].(type) {
	case KeyToken:
		m, err := asMap(node, here)
		if err != nil {
			return nil, err
		}
		child, found := m[t.Key]
		if !found {
			if !t.Optional {
				return nil, newMissingKeyError(t.Key, here, m)
			}
			if isLast {
				return nil, nil
			}
			var err error
			if child, err = emptyContainerFor(tokens[i+1], path.prefix(i+2)); err != nil {
				return nil, err
			}
		}
		return findAt(child, path, i+1)

	case IndexToken:
		array, err := asArray(node, here)
		if err != nil {
			return nil, err
		}
		pos, err := arrayIndex(t.Index, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return findAt(array[pos], path, i+1)

	case MatchingIndexToken:
		array, err := asArray(node, here)
		if err != nil {
			return nil, err
		}
		idx, none, err := soleMatch(array, t, here)
		if err != nil {
			return nil, err
		}
		if none {
			return findAt(map[string]any{t.Key: t.Value}, path, i+1)
		}
		pos, err := arrayIndex(idx, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return findAt(array[pos], path, i+1)

	case AfterLastIndexToken:
		return nil, fmt.Errorf("Expected not to find after last index token in path '%s' (not supported in find operations)", path)
	}
	return nil, fmt.Errorf("unknown token %T at path '%s'", tokens[i], here)
}
