"""Container runtimes behind one interface, as kubelet talks to CRI (runtime/types.py)."""
