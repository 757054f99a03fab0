package settings

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfigEnvironMap(t *testing.T) {
	got := environMap([]string{"A=1", "B=", "C=x=y", "=C:=C:\\", "NOEQUALS", "A=2"})
	assert.Equal(t, map[string]string{"A": "2", "B": "", "C": "x=y"}, got)
}
