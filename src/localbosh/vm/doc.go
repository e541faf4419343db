// Package vm makes localbosh's VMs on one Linux machine and manages them as
// the BOSH agent and CPI would.
//
// A VM is a network namespace whose eth0 (one end of a veth pair whose
// other end is on the Manager's bridge) has the VM's address and a route to
// the bridge's subnet only; a persistent mount namespace in which a
// directory of the VM is mounted at /var/vcap (with the stemcell layout:
// data, store, jobs, packages, sys/log, sys/run, monit, bosh) and a file at
// /etc/resolv.conf; and PID and UTS namespaces of its own, whose init (pid
// 1) is tini running a monit daemon with its HTTP interface on the VM's own
// 127.0.0.1:2822, supervising the job processes described by
// /var/vcap/monit/job/*.monitrc. The host name is the instance's id. VMs
// share the host's users (jobs run as vcap).
//
// Safety: a VM sees its own processes only (its /proc is its PID
// namespace's), and the host's file system read-only, without the state
// directory (credentials, other VMs, disks) or /root, and with a /dev, /run
// and /root of its own; only /tmp and /var/tmp stay the host's and
// writable (isolation.go). Its processes lack the capabilities that would
// undo that (mounting, ptrace, raw devices). On the network it reaches only
// the bridge subnet, and of the host only the director's API and DNS on the
// gateway: no NAT, no default route, IPv6 off, iptables FORWARD rules drop
// anything routed between the bridge and another interface, and INPUT rules
// drop anything else from the bridge to the host. Every host object carries
// the Manager's prefix in its name, alias or rule comment, so Clean removes
// exactly what it made. Everything needs root.
//
// State lives under Options.StateDir:
//
//	vms/<cid>/vm.json      the VM's record (address, names, attached disk)
//	vms/<cid>/vcap/        the VM's /var/vcap (VM.Root)
//	vms/<cid>/resolv.conf  the VM's /etc/resolv.conf
//	vms/<cid>/init.log     what the VM's init printed (not visible in the VM)
//	ns/<cid>               the VM's mount namespace (ns/ is a private bind mount)
//	ns/<cid>:pid           the VM's PID namespace, ns/<cid>:uts its UTS namespace
//	disks/<disk cid>/      persistent disks, bind-mounted at /var/vcap/store
package vm
