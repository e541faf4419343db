package deployer

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("an update drain's arguments, as the BOSH agent's drain.NewUpdateParams makes them", func() {
	spec := func(jobSHA1, hash string, packages map[string]string) appliedSpec {
		return appliedSpec{JobSHA1: jobSHA1, ConfigHash: hash, Packages: packages}
	}
	base := spec("sha256:job1", "hash1", map[string]string{"etcd": "v1", "etcdfab": "v1"})

	DescribeTable("job change, hash change and updated packages",
		func(old, next appliedSpec, job, hash string, packages []string) {
			j, h, p := updateDrainArgs(old, next)
			Expect(j).To(Equal(job))
			Expect(h).To(Equal(hash))
			Expect(p).To(Equal(packages))
		},
		Entry("nothing changed (restart)", base, base, "job_unchanged", "hash_unchanged", nil),
		Entry("a property changed", base, spec("sha256:job1", "hash2", base.Packages), "job_unchanged", "hash_changed", nil),
		Entry("the release's first job changed", base, spec("sha256:job2", "hash1", base.Packages), "job_changed", "hash_unchanged", nil),
		Entry("a package changed and one is new", base,
			spec("sha256:job1", "hash1", map[string]string{"etcd": "v2", "etcdfab": "v1", "consul": "v1"}),
			"job_unchanged", "hash_unchanged", []string{"consul", "etcd"}),
		Entry("no configuration hash before", spec("sha256:job1", "", nil), base, "job_unchanged", "hash_new", []string{"etcd", "etcdfab"}),
		Entry("recorded before the job's sha1 was kept", spec("", "hash1", base.Packages), base, "job_changed", "hash_unchanged", nil),
	)
})
