package deployer

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// vitals are what `bosh vms --vitals` shows of a VM, as the agent reports
// them: the load (the machine's: VMs share its kernel), the memory and CPU
// of the VM's processes as monit counts them, the machine's swap, and the
// use of the file systems behind the VM's system, ephemeral (its
// directory) and persistent disk.
func (d *Deployer) vitals(v *vm.VM, services []vm.ServiceStatus, diskCID string) *director.Vitals {
	var memKB uint64
	var cpu float64
	for _, s := range services {
		memKB += s.MemoryKB
		cpu += s.CPUPercent
	}
	mem := readMeminfo()
	out := &director.Vitals{
		CPU:  director.VitalsCPU{User: fmt.Sprintf("%.1f", cpu), Sys: "0.0", Wait: "0.0"},
		Mem:  director.VitalsMemory{KB: strconv.FormatUint(memKB, 10), Percent: percent(memKB, mem["MemTotal"])},
		Load: readLoad(),
		Disk: director.VitalsDisks{System: diskUse("/")},
	}
	swapUsed := mem["SwapTotal"] - min(mem["SwapFree"], mem["SwapTotal"])
	out.Swap = director.VitalsMemory{KB: strconv.FormatUint(swapUsed, 10), Percent: percent(swapUsed, mem["SwapTotal"])}
	eph := diskUse(v.Root())
	out.Disk.Ephemeral = &eph
	if diskCID != "" {
		if dir, err := d.vms.DiskDir(diskCID); err == nil {
			p := diskUse(dir)
			out.Disk.Persistent = &p
		}
	}
	return out
}

func percent(part, whole uint64) string {
	if whole == 0 {
		return "0"
	}
	return strconv.FormatUint(part*100/whole, 10)
}

func readMeminfo() map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) > 0 {
			n, _ := strconv.ParseUint(fields[0], 10, 64)
			out[name] = n
		}
	}
	return out
}

func readLoad() []string {
	data, err := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(data))
	if err != nil || len(fields) < 3 {
		return []string{"0.00", "0.00", "0.00"}
	}
	return fields[:3]
}

func diskUse(path string) director.VitalsDisk {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil || st.Blocks == 0 {
		return director.VitalsDisk{Percent: "0", InodePercent: "0"}
	}
	inodes := "0"
	if st.Files > 0 {
		inodes = percent(st.Files-st.Ffree, st.Files)
	}
	return director.VitalsDisk{Percent: percent(st.Blocks-st.Bfree, st.Blocks), InodePercent: inodes}
}
