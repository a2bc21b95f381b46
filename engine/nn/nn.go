// Package nn provides streamcast's neural-network building blocks on top of
// engine/tensor: named parameters addressable like PyTorch state_dict keys
// ("layers.0.weight"), PyTorch-equivalent default initialisation, Linear
// layers and multi-layer perceptrons.
//
// Initialisation draws from a caller-supplied seeded *rand.Rand
// (math/rand/v2), so models are reproducible; the distributions are
// PyTorch's, the random streams are not.
package nn

import (
	"fmt"
	"strconv"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Param is a named trainable tensor. Name follows PyTorch's state_dict
// convention: dot-separated module path and attribute, e.g. "layers.0.weight".
type Param struct {
	Name string
	T    *tensor.Tensor
}

// Module is anything that owns parameters.
type Module interface {
	// Params returns the module's parameters with names relative to the module.
	Params() []Param
}

// Prefixed returns m's parameters with "prefix." prepended to every name
// (no prefix when prefix is empty), like a named submodule in PyTorch.
func Prefixed(prefix string, m Module) []Param {
	ps := m.Params()
	if prefix == "" {
		return ps
	}
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: prefix + "." + p.Name, T: p.T}
	}
	return out
}

// Collect names modules as the elements of a PyTorch nn.ModuleList or
// nn.Sequential called prefix: the parameters of modules[i] become
// "prefix.i.<name>" ("i.<name>" when prefix is empty). Nil modules keep
// their index but contribute nothing (like parameter-free layers in a
// Sequential).
func Collect(prefix string, modules ...Module) []Param {
	var out []Param
	for i, m := range modules {
		if m == nil {
			continue
		}
		p := strconv.Itoa(i)
		if prefix != "" {
			p = prefix + "." + p
		}
		out = append(out, Prefixed(p, m)...)
	}
	return out
}

// Params is a Module made of an explicit parameter list.
type Params []Param

// Params returns the list itself.
func (ps Params) Params() []Param { return ps }

// Tensors returns the tensors of ps in order (what optimisers take).
func Tensors(ps []Param) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		out[i] = p.T
	}
	return out
}

// Count returns the total number of scalar parameters.
func Count(ps []Param) int {
	n := 0
	for _, p := range ps {
		n += len(p.T.Data)
	}
	return n
}

// Validate checks that every parameter has a non-empty, unique name and a tensor.
func Validate(ps []Param) error {
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		if p.Name == "" {
			return fmt.Errorf("nn: parameter %d has no name", i)
		}
		if p.T == nil {
			return fmt.Errorf("nn: parameter %q has no tensor", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("nn: duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// Find returns the tensor named name.
func Find(ps []Param, name string) (*tensor.Tensor, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.T, true
		}
	}
	return nil, false
}

// StateDict returns a copy of every parameter's values keyed by name.
func StateDict(ps []Param) map[string][]float32 {
	sd := make(map[string][]float32, len(ps))
	for _, p := range ps {
		sd[p.Name] = append([]float32(nil), p.T.Data...)
	}
	return sd
}

// LoadStateDict copies values from sd into the parameters of the same name.
// Every parameter must be present with the right number of values; with
// strict, sd may not hold names that are not parameters either. Nothing is
// modified when an error is returned.
func LoadStateDict(ps []Param, sd map[string][]float32, strict bool) error {
	for _, p := range ps {
		v, ok := sd[p.Name]
		if !ok {
			return fmt.Errorf("nn: state dict misses parameter %q", p.Name)
		}
		if len(v) != len(p.T.Data) {
			return fmt.Errorf("nn: parameter %q has %d values, state dict %d", p.Name, len(p.T.Data), len(v))
		}
	}
	if strict && len(sd) != len(ps) {
		for name := range sd {
			if _, ok := Find(ps, name); !ok {
				return fmt.Errorf("nn: state dict has unexpected entry %q", name)
			}
		}
	}
	for _, p := range ps {
		copy(p.T.Data, sd[p.Name])
	}
	return nil
}

// ZeroGrad zeroes the gradient of every parameter.
func ZeroGrad(ps []Param) {
	for _, p := range ps {
		p.T.ZeroGrad()
	}
}
