package exechook

import "context"

// Func has the shape of syscall.Exec: the program's path, its arguments
// (argv[0] included) and its environment.
type Func = func(argv0 string, argv, envv []string) error

// key is the context key of the hook; being unexported, no other package
// can set or read the value except through With and From.
type key struct{}

// With returns a copy of ctx that carries exec as the re-exec function. A
// nil exec returns ctx unchanged.
func With(ctx context.Context, exec Func) context.Context {
	if exec == nil {
		return ctx
	}
	return context.WithValue(ctx, key{}, exec)
}

// From returns the re-exec function carried by ctx, and whether there is
// one.
func From(ctx context.Context) (Func, bool) {
	exec, ok := ctx.Value(key{}).(Func)
	return exec, ok && exec != nil
}
