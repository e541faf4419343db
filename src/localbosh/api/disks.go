package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeDisks(mux *http.ServeMux) {
	list := s.handle(func(w http.ResponseWriter, r *http.Request) error {
		disks, err := s.backend.OrphanedDisks(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, nonNil(disks))
	})
	mux.Handle("GET /disks", list)
	mux.Handle("GET /orphan_disks", list)
	del := s.handle(s.deleteOrphanedDisk)
	mux.Handle("DELETE /disks/{cid}", del)
	mux.Handle("DELETE /orphan_disks/{cid}", del)
	mux.Handle("PUT /disks/{cid}/attachments", s.handle(s.attachDisk))
}

// deleteOrphanedDisk is bosh delete-disk: a "delete orphan disks" task.
func (s *Server) deleteOrphanedDisk(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathName(r, "cid", "disk cid", boshname.Identifier)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("orphan") == "true" {
		return director.NewError(http.StatusBadRequest, director.CodeValidationInvalidValue, "localbosh orphans a disk only when its instance or deployment goes or its size changes; orphan=true is not supported")
	}
	return s.startTask(w, r, taskSpec{
		kind: kindDeleteOrphanDisks, description: "delete orphan disks",
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			if err := s.backend.DeleteOrphanedDisk(ctx, out, cid); err != nil {
				return "", err
			}
			return "orphaned disk(s) " + cid + " deleted", nil
		},
	})
}

// attachDisk is bosh attach-disk (PUT /disks/:cid/attachments?deployment=
// &job=&instance_id=): a task holding the deployment's lock.
func (s *Server) attachDisk(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathName(r, "cid", "disk cid", boshname.Identifier)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	deployment, group, id := q.Get("deployment"), q.Get("job"), q.Get("instance_id")
	for field, v := range map[string]string{"deployment": deployment, "job": group, "instance_id": id} {
		if err := boshname.Identifier.Check(field, v); err != nil {
			return invalidName(err)
		}
	}
	return s.startTask(w, r, taskSpec{
		kind: kindAttachDisk, description: fmt.Sprintf("attach disk '%s' to '%s/%s'", cid, group, id), deployment: deployment, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			return s.backend.AttachDisk(ctx, out, deployment, group, id, cid)
		},
	})
}
