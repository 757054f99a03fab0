// Package systemd holds the kit's systemd unit files; its test checks them with systemd-analyze verify.
package systemd
