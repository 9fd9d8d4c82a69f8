# Make targets of minikube-py (run as root). The everyday commands are scripts/setup.sh and
# scripts/test.sh; these are the long ones.
.PHONY: test-vagrant vagrant-box

# The Vagrant multi-VM lab end to end, with no internet: installs the host packages it needs
# (scripts/setup.sh's install_packages), builds the box if missing, brings up the control plane
# and 2 workers (software emulation), checks them from the host, destroys all.
test-vagrant:
	bash vagrant/test.sh

# The offline Debian 12 box alone (MK_BOX_FILE, default /var/tmp/minikube-py-debian12.box);
# installs mmdebstrap, extlinux, ... when missing.
vagrant-box:
	bash vagrant/build-box.sh
