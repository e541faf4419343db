// Package vm makes localbosh's VMs on one Linux machine and manages them as
// the BOSH agent and CPI would.
//
// A VM is a network namespace whose eth0 (one end of a veth pair whose
// other end is on the Manager's bridge) has the VM's address and a route to
// the bridge's subnet only, plus a persistent mount namespace in which a
// directory of the VM is mounted at /var/vcap (with the stemcell layout:
// data, store, jobs, packages, sys/log, sys/run, monit, bosh) and a file at
// /etc/resolv.conf. A monit daemon runs inside both namespaces with its
// HTTP interface on the VM's own 127.0.0.1:2822, supervising the job
// processes described by /var/vcap/monit/job/*.monitrc. VMs share the
// host's users (jobs run as vcap) and the rest of its file system.
//
// Safety: VMs reach only the bridge subnet: no NAT, no default route,
// IPv6 off, and iptables FORWARD rules drop anything routed between the
// bridge and another interface. Every host object carries the Manager's
// prefix in its name, alias or rule comment, so Clean removes exactly what
// it made. Everything needs root.
//
// State lives under Options.StateDir:
//
//	vms/<cid>/vm.json      the VM's record (address, names, attached disk)
//	vms/<cid>/vcap/        the VM's /var/vcap (VM.Root)
//	vms/<cid>/resolv.conf  the VM's /etc/resolv.conf
//	ns/<cid>               the VM's mount namespace (ns/ is a private bind mount)
//	disks/<disk cid>/      persistent disks, bind-mounted at /var/vcap/store
package vm
