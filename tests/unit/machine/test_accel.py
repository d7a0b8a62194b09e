"""qemu's accelerator: KVM only on real VMX/SVM with a usable /dev/kvm, TCG everywhere else
(a KVM-PVM host cannot boot a stock Debian kernel under KVM)."""

from __future__ import annotations

from swarmdeck.machine.qemu import choose_accel

TCG = ["-accel", "tcg,thread=multi", "-cpu", "max"]
KVM = ["-accel", "kvm", "-cpu", "host"]
INTEL = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae vmx ept\n"
AMD = "processor\t: 0\nflags\t\t: fpu vme svm npt\n"
NONE = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae hypervisor\n"


def test_real_vmx_or_svm_with_dev_kvm_gets_kvm():
    assert choose_accel(INTEL, kvm_device=True, kvm_pvm=False) == KVM
    assert choose_accel(AMD, kvm_device=True, kvm_pvm=False) == KVM


def test_pvm_gets_tcg_even_with_dev_kvm():
    assert choose_accel(NONE, kvm_device=True, kvm_pvm=True) == TCG
    assert choose_accel(INTEL, kvm_device=True, kvm_pvm=True) == TCG


def test_no_dev_kvm_or_no_virtualisation_flags_gets_tcg():
    assert choose_accel(INTEL, kvm_device=False, kvm_pvm=False) == TCG
    assert choose_accel(NONE, kvm_device=True, kvm_pvm=False) == TCG
