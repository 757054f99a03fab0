package stdlib

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// What each TLS setting accepts, as the configuration errors say it.
const (
	acceptCert  = "a readable PEM certificate matching %sSSL_PRIVATE_KEY"
	acceptKey   = "a readable PEM private key"
	acceptChain = "a readable file of PEM certificates"
	acceptPair  = "set together with %s"
)

// errNoPEM says that a file holds no PEM block of the wanted type.
var errNoPEM = errors.New("no PEM block found")

// wantsTLS reports whether either TLS file is configured.
func wantsTLS(cfg settings.Config) bool {
	return cfg.SSLCertificate != "" || cfg.SSLPrivateKey != ""
}

// loadTLS reads and checks the certificate, key and chain before anything
// binds. Every problem found is reported at once in an *settings.ConfigError
// naming the variable and the file. The result offers HTTP/2 through ALPN
// when cfg.HTTP2 is set and refuses anything older than TLS 1.2.
func loadTLS(cfg settings.Config) (*tls.Config, error) {
	prefix := cfg.Prefix()
	certVar, keyVar, chainVar := prefix+"SSL_CERTIFICATE", prefix+"SSL_PRIVATE_KEY", prefix+"SSL_CERTIFICATE_CHAIN"
	var problems []*settings.SettingError
	bad := func(name, value, accepted string, err error) {
		problems = append(problems, &settings.SettingError{Var: name, Value: value, Accepted: accepted, Err: err})
	}

	switch {
	case cfg.SSLCertificate == "":
		bad(certVar, "", fmt.Sprintf(acceptPair, keyVar), nil)
	case cfg.SSLPrivateKey == "":
		bad(keyVar, "", fmt.Sprintf(acceptPair, certVar), nil)
	}
	if len(problems) > 0 {
		return nil, &settings.ConfigError{Problems: problems}
	}

	certPEM, err := readPEM(cfg.SSLCertificate, "CERTIFICATE")
	if err != nil {
		bad(certVar, cfg.SSLCertificate, fmt.Sprintf(acceptCert, prefix), err)
	}
	keyPEM, err := readPEM(cfg.SSLPrivateKey, "PRIVATE KEY")
	if err != nil {
		bad(keyVar, cfg.SSLPrivateKey, acceptKey, err)
	}
	var chainPEM []byte
	if cfg.SSLCertificateChain != "" {
		chainPEM, err = readPEM(cfg.SSLCertificateChain, "CERTIFICATE")
		if err != nil {
			bad(chainVar, cfg.SSLCertificateChain, acceptChain, err)
		}
	}
	if len(problems) > 0 {
		return nil, &settings.ConfigError{Problems: problems}
	}

	full := append(append(bytes.TrimRight(certPEM, "\n"), '\n'), chainPEM...)
	pair, err := tls.X509KeyPair(full, keyPEM)
	if err != nil {
		bad(certVar, cfg.SSLCertificate, fmt.Sprintf(acceptCert, prefix), err)
		return nil, &settings.ConfigError{Problems: problems}
	}

	protos := []string{"http/1.1"}
	if cfg.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		NextProtos:   protos,
	}, nil
}

// readPEM reads path and checks that it holds at least one PEM block whose
// type ends with kind ("CERTIFICATE"; "PRIVATE KEY" also matches "RSA
// PRIVATE KEY" and "EC PRIVATE KEY").
func readPEM(path, kind string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: want %s", errNoPEM, kind)
		}
		if strings.HasSuffix(block.Type, kind) {
			return data, nil
		}
	}
}
