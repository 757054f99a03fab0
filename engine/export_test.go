package engine

// Test hooks: unexported helpers the external tests reach.
var CleanScriptNameForTest = cleanScriptName

func (t *Tree) SplitForTest(path string) (scriptName, pathInfo string, ok bool) { return t.split(path) }
