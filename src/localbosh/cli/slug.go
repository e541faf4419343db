package cli

import (
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// parseSlug reads "group" or "group/id" (id: an instance ID or index).
func parseSlug(text, what string) (director.InstanceSlug, error) {
	group, id, hasID := strings.Cut(text, "/")
	if group == "" || (hasID && (id == "" || strings.Contains(id, "/"))) {
		return director.InstanceSlug{}, usageErrorf("%s '%s': expected INSTANCE-GROUP or INSTANCE-GROUP/INSTANCE-ID", what, text)
	}
	return director.InstanceSlug{Group: group, ID: id}, nil
}
