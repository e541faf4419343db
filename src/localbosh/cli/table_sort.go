package cli

import (
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// rowOrder compares two table rows, as slices.SortFunc wants.
type rowOrder func(a, b []string) int

// sortRows sorts rows by the orders given, the first deciding first.
func sortRows(rows [][]string, orders ...rowOrder) {
	slices.SortStableFunc(rows, func(a, b []string) int {
		for _, order := range orders {
			if c := order(a, b); c != 0 {
				return c
			}
		}
		return 0
	})
}

// byColumn orders rows by the text of column i, ascending.
func byColumn(i int) rowOrder {
	return func(a, b []string) int { return strings.Compare(a[i], b[i]) }
}

// descending reverses an order.
func descending(order rowOrder) rowOrder {
	return func(a, b []string) int { return order(b, a) }
}

// byVersion orders rows by the release or stemcell version in column i,
// as bosh orders versions (1 < 1+dev.1 < 2), ignoring a "*" mark; versions
// of another form compare as text.
func byVersion(i int) rowOrder {
	return func(a, b []string) int {
		va, vb := strings.TrimSuffix(a[i], "*"), strings.TrimSuffix(b[i], "*")
		if c, err := release.CompareVersions(va, vb); err == nil {
			return c
		}
		return strings.Compare(va, vb)
	}
}
