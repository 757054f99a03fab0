package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// The fields of hello.yaml the checks read.
type manifest struct {
	Kind string
	Spec struct {
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Ports []struct {
						Name          string
						ContainerPort int `yaml:"containerPort"`
					}
					Env            []struct{ Name, Value string }
					StartupProbe   *probe `yaml:"startupProbe"`
					ReadinessProbe *probe `yaml:"readinessProbe"`
					LivenessProbe  *probe `yaml:"livenessProbe"`
				}
			}
		}
	}
}

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

// margin is what the grace period must leave beyond delay and drain.
const margin = 5 * time.Second

// The Deployment's environment is a valid configuration; its grace period
// covers SERVER_SHUTDOWN_DELAY + SERVER_SHUTDOWN_TIMEOUT + a margin; its
// probes ask the paths and port the program serves them on.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("hello.yaml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var deployment *manifest
	kinds := []string{}
	for {
		var m manifest
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		kinds = append(kinds, m.Kind)
		if m.Kind == "Deployment" {
			deployment = &m
		}
	}
	assert.Equal(t, []string{"Deployment", "Service"}, kinds)
	require.NotNil(t, deployment)
	pod := deployment.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]

	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	cfgs, err := settings.Load(env)
	require.NoError(t, err, "the manifest's settings")
	cfg := cfgs[0]
	assert.Positive(t, cfg.ShutdownDelay, "a shutdown delay, so that endpoints are gone before the drain")
	need := cfg.ShutdownDelay + cfg.ShutdownTimeout + margin
	assert.GreaterOrEqual(t, time.Duration(pod.TerminationGracePeriodSeconds)*time.Second, need,
		"terminationGracePeriodSeconds covers delay + drain + margin")

	require.Len(t, c.Ports, 1)
	assert.Equal(t, cfg.Port, c.Ports[0].ContainerPort, "the container port is SERVER_SOCKET_PORT")
	for name, p := range map[string]*probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		require.NotNil(t, p, name)
		assert.Equal(t, c.Ports[0].Name, p.HTTPGet.Port, name)
	}
	assert.Equal(t, cfg.ReadinessPath, c.StartupProbe.HTTPGet.Path)
	assert.Equal(t, cfg.ReadinessPath, c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, cfg.LivenessPath, c.LivenessProbe.HTTPGet.Path)
}
