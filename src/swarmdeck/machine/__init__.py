"""Hosts the way Docker Machine makes them: local qemu VMs and existing SSH hosts, each
provisioned with a TLS-protected Docker Engine and registered as a console endpoint."""
