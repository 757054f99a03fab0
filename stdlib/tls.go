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
// when cfg.HTTP2 is set and refuses anything older than TLS 1.2; it serves
// the pair of the returned certSource through GetCertificate, so that a
// reload (see certreload.go) reaches every clone of it.
func loadTLS(cfg settings.Config) (*tls.Config, *certSource, error) {
	files := tlsFilesOf(cfg)
	var problems []*settings.SettingError
	switch {
	case cfg.SSLCertificate == "":
		problems = append(problems, &settings.SettingError{Var: files.certVar, Accepted: fmt.Sprintf(acceptPair, files.keyVar)})
	case cfg.SSLPrivateKey == "":
		problems = append(problems, &settings.SettingError{Var: files.keyVar, Accepted: fmt.Sprintf(acceptPair, files.certVar)})
	}
	if len(problems) > 0 {
		return nil, nil, &settings.ConfigError{Problems: problems}
	}
	pair, err := files.load()
	if err != nil {
		return nil, nil, err
	}
	src := &certSource{files: files}
	src.current.Store(pair)

	protos := []string{"http/1.1"}
	if cfg.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: src.get,
		NextProtos:     protos,
	}, src, nil
}

// tlsFiles are the TLS files of one server and the variables naming them.
type tlsFiles struct {
	prefix                    string // the server's SERVER_… prefix
	certVar, keyVar, chainVar string
	cert, key, chain          string // chain "": none
}

func tlsFilesOf(cfg settings.Config) tlsFiles {
	prefix := cfg.Prefix()
	return tlsFiles{
		prefix:   prefix,
		certVar:  prefix + "SSL_CERTIFICATE",
		keyVar:   prefix + "SSL_PRIVATE_KEY",
		chainVar: prefix + "SSL_CERTIFICATE_CHAIN",
		cert:     cfg.SSLCertificate,
		key:      cfg.SSLPrivateKey,
		chain:    cfg.SSLCertificateChain,
	}
}

// load reads and checks the files and returns the pair they hold, the
// chain's certificates after the server's own. Every problem found is
// reported at once in an *settings.ConfigError naming the variable and the
// file.
func (f tlsFiles) load() (*tls.Certificate, error) {
	var problems []*settings.SettingError
	bad := func(name, value, accepted string, err error) {
		problems = append(problems, &settings.SettingError{Var: name, Value: value, Accepted: accepted, Err: err})
	}
	certPEM, err := readPEM(f.cert, "CERTIFICATE")
	if err != nil {
		bad(f.certVar, f.cert, fmt.Sprintf(acceptCert, f.prefix), err)
	}
	keyPEM, err := readPEM(f.key, "PRIVATE KEY")
	if err != nil {
		bad(f.keyVar, f.key, acceptKey, err)
	}
	var chainPEM []byte
	if f.chain != "" {
		chainPEM, err = readPEM(f.chain, "CERTIFICATE")
		if err != nil {
			bad(f.chainVar, f.chain, acceptChain, err)
		}
	}
	if len(problems) > 0 {
		return nil, &settings.ConfigError{Problems: problems}
	}

	full := append(append(bytes.TrimRight(certPEM, "\n"), '\n'), chainPEM...)
	pair, err := tls.X509KeyPair(full, keyPEM)
	if err != nil {
		bad(f.certVar, f.cert, fmt.Sprintf(acceptCert, f.prefix), fmt.Errorf("with the key in %s: %w", f.key, err))
		return nil, &settings.ConfigError{Problems: problems}
	}
	return &pair, nil
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
