package opsfile

import "fmt"

// replaceAt puts value at path, starting at token i of node, and returns
// the updated node. Optional tokens create what is missing on their way.
func replaceAt(node any, path Pointer, i int, value any) (any, error) {
	tokens := path.tokens
	if i == len(tokens) {
		return Clone(value), nil
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
			if !isLast {
				var err error
				if child, err = emptyContainerFor(tokens[i+1], path.prefix(i+2)); err != nil {
					return nil, err
				}
			}
		}
		updated, err := replaceAt(child, path, i+1, value)
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
		if isLast {
			in, err := arrayInsertion(t.Index, t.Modifiers, len(array), here)
			if err != nil {
				return nil, err
			}
			return in.apply(array, Clone(value)), nil
		}
		pos, err := arrayIndex(t.Index, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return replaceItem(array, pos, path, i, value)

	case AfterLastIndexToken:
		array, err := asArray(node, here)
		if err != nil {
			return nil, err
		}
		// ParsePointer only accepts "-" as the last token.
		return append(array, Clone(value)), nil

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
			if isLast {
				return append(array, Clone(value)), nil
			}
			item, err := replaceAt(map[string]any{t.Key: t.Value}, path, i+1, value)
			if err != nil {
				return nil, err
			}
			return append(array, item), nil
		}
		if isLast {
			in, err := arrayInsertion(idx, t.Modifiers, len(array), here)
			if err != nil {
				return nil, err
			}
			return in.apply(array, Clone(value)), nil
		}
		pos, err := arrayIndex(idx, t.Modifiers, len(array), here)
		if err != nil {
			return nil, err
		}
		return replaceItem(array, pos, path, i, value)
	}
	return nil, fmt.Errorf("unknown token %T at path '%s'", tokens[i], here)
}

func replaceItem(array []any, pos int, path Pointer, i int, value any) (any, error) {
	updated, err := replaceAt(array[pos], path, i+1, value)
	if err != nil {
		return nil, err
	}
	array[pos] = updated
	return array, nil
}

// emptyContainerFor is what an optional, missing key becomes when more of
// the path follows: an array for "-" or key=value, a map for a key.
func emptyContainerFor(next Token, path Pointer) (any, error) {
	switch next.(type) {
	case AfterLastIndexToken, MatchingIndexToken:
		return []any{}, nil
	case KeyToken:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("Expected to find key, matching index or after last index token at path '%s'", path)
}
