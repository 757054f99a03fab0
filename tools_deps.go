//go:build tools

package cherrygo

import (
	_ "github.com/caarlos0/env/v11"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/stretchr/testify/require"
)
