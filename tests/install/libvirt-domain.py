#!/usr/bin/env python3
"""libvirt-domain.py DOC_XML NAME KERNEL INITRD CMDLINE CONSOLE > DOMAIN_XML

The documented domain (docs/libvirt/vdmabuf-vm.xml) as the lab boots it:
its name and its vdmabuf socket NAME's, the lab's size (1 vCPU, 1 GiB),
and in place of "your disks" the lab's: the kernel and tools/vm-init's
initramfs booted directly, the lab root and the repository over 9p (as
tools/vm shares them), the serial console into CONSOLE. Everything the
document says about vdmabuf (memfd shared memory, the emulator, the
device through qemu:commandline) stays as it is.
"""
import sys
import xml.etree.ElementTree as ET

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"


def sub(parent, tag, text=None, **attrs):
    e = ET.SubElement(parent, tag, attrs)
    if text is not None:
        e.text = text
    return e


def main(doc, name, kernel, initrd, cmdline, console):
    ET.register_namespace("qemu", QEMU_NS)
    tree = ET.parse(doc)
    dom = tree.getroot()
    old = dom.find("name").text
    dom.find("name").text = name
    for arg in dom.iter(f"{{{QEMU_NS}}}arg"):
        arg.set("value", arg.get("value").replace(f"/run/vdmabuf/{old}.", f"/run/vdmabuf/{name}."))
    dom.find("memory").text = "1024"
    dom.find("vcpu").text = "1"
    os_ = dom.find("os")
    sub(os_, "kernel", kernel)
    sub(os_, "initrd", initrd)
    sub(os_, "cmdline", cmdline)
    # tools/vm-init powers off at the job's end; -no-reboot as in tools/vm.
    sub(dom, "on_reboot", "destroy")
    devices = dom.find("devices")
    for tag, path, ro in (("lab", "/lab", True), ("src", "/src", False)):
        fs = sub(devices, "filesystem", type="mount", accessmode="squash", multidevs="remap")
        sub(fs, "source", dir=path)
        sub(fs, "target", dir=tag)
        if ro:
            sub(fs, "readonly")
    serial = sub(devices, "serial", type="file")
    sub(serial, "source", path=console)
    sub(serial, "target", port="0")
    sub(devices, "memballoon", model="none")
    ET.indent(tree)
    tree.write(sys.stdout, encoding="unicode")
    print()


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__.strip())
    main(*sys.argv[1:])
