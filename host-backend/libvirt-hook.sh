#!/bin/sh
# libvirt's QEMU hook for vdmabuf, installed as
# /etc/libvirt/hooks/qemu.d/vdmabuf (libvirt runs every file there with
# the VM's name, the operation and its phase, the domain XML on stdin).
# A VM whose QEMU serves the vdmabuf device on /run/vdmabuf/NAME.vhost.sock
# (docs/libvirt/vdmabuf-vm.xml) gets its daemon, vdmabuf-backend@NAME,
# started before QEMU (the daemon connects once QEMU listens) and stopped
# once QEMU is gone, whichever way it went (shutdown, virsh destroy).
vm=$1
case $2/$3 in
prepare/begin | release/end) ;;
*) exit 0 ;;
esac
grep -q "path=/run/vdmabuf/$vm\.vhost\.sock[,'\"]" || exit 0
unit=vdmabuf-backend@$(systemd-escape "$vm").service
if [ "$2" = prepare ]; then
	exec systemctl start "$unit"
fi
systemctl stop "$unit"
# A QEMU that was killed leaves its listening socket behind.
rm -f "/run/vdmabuf/$vm.vhost.sock"
