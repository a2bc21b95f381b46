// Package all registers every model kind of engine/models with
// engine/model; import it for its side effect wherever models are built
// or loaded by kind:
//
//	import _ "github.com/streamcast/streamcast/engine/models/all"
package all

import (
	_ "github.com/streamcast/streamcast/engine/models/dlinear" // "dlinear"
	_ "github.com/streamcast/streamcast/engine/models/mlp"     // "mlp"
	_ "github.com/streamcast/streamcast/engine/models/nbeats"  // "nbeats"
	_ "github.com/streamcast/streamcast/engine/models/nbeatsx" // "nbeatsx"
	_ "github.com/streamcast/streamcast/engine/models/nhits"   // "nhits"
	_ "github.com/streamcast/streamcast/engine/models/nlinear" // "nlinear"
	_ "github.com/streamcast/streamcast/engine/models/rlinear" // "rlinear"
)
