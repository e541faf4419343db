package opsfile

import (
	"errors"
	"fmt"
)

// removeAt deletes what path addresses, starting at token i of node, and
// returns the updated node. A missing optional key or match leaves the
// node as it is.
func removeAt(node any, path Pointer, i int) (any, error) {
	tokens := path.tokens
	if len(tokens) == 0 {
		return nil, errors.New("Cannot remove entire document")
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
			if t.Optional {
				return node, nil
			}
			return nil, newMissingKeyError(t.Key, here, m)
		}
		if isLast {
			delete(m, t.Key)
			return m, nil
		}
		updated, err := removeAt(child, path, i+1)
		if err != nil {
			return nil, err
		}
		m[t.Key] = updated
		return m, nil

	case IndexToken:
		array, err := asArray(node, here)
		if err != nil {
			return nil, err
		}
		pos, err := arrayIndex(t.Index, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return removeFromItem(array, pos, path, i)

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
			return node, nil
		}
		pos, err := arrayIndex(idx, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return removeFromItem(array, pos, path, i)

	case AfterLastIndexToken:
		return nil, fmt.Errorf("Expected not to find after last index token in path '%s' (not supported in remove operations)", path)
	}
	return nil, fmt.Errorf("unknown token %T at path '%s'", tokens[i], here)
}

// removeFromItem removes the item at pos when token i is the last one, or
// removes deeper inside that item otherwise.
func removeFromItem(array []any, pos int, path Pointer, i int) (any, error) {
	if i == len(path.tokens)-1 {
		return withoutItem(array, pos), nil
	}
	updated, err := removeAt(array[pos], path, i+1)
	if err != nil {
		return nil, err
	}
	array[pos] = updated
	return array, nil
}
