// Package kubernetes holds the kit's Kubernetes example (hello.yaml: a
// Deployment and a Service); its test checks that the settings the
// manifest gives the program are valid and agree with its probes and its
// termination grace period.
package kubernetes
