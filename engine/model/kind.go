package model

import "fmt"

// common gives generic code the Common a hyper-parameter type embeds
// (promoted to every *H whose H embeds Common).
func (c *Common) common() *Common { return c }

// HyperPtr is the pointer to a kind's hyper-parameter type H: H embeds
// Common and validates itself and counts its parameters.
type HyperPtr[H any] interface {
	*H
	Validate() error
	NumParams() int
	common() *Common
}

// CheckHyper applies the defaults every kind shares (an empty scaler_type
// is "identity") and validates h. Kinds' New functions call it.
func CheckHyper[H any, P HyperPtr[H]](h *H) error {
	c := P(h).common()
	if c.ScalerType == "" {
		c.ScalerType = "identity"
	}
	return P(h).Validate()
}

// ParseHyper decodes JSON hyper-parameters strictly over defaults() and
// checks them (CheckHyper).
func ParseHyper[H any, P HyperPtr[H]](hyper []byte, defaults func() H) (H, error) {
	h := defaults()
	if err := DecodeHyper(hyper, &h); err != nil {
		var zero H
		return zero, err
	}
	if err := CheckHyper[H, P](&h); err != nil {
		var zero H
		return zero, err
	}
	return h, nil
}

// RegisterKind registers a kind whose hyper-parameters are H: the factory
// parses them over defaults() (ParseHyper) and calls build, which leaves
// the weights zero when init is false (the model-file loader fills them).
func RegisterKind[H any, P HyperPtr[H]](kind string, defaults func() H, build func(h H, init bool) Model) {
	if defaults == nil || build == nil {
		panic(fmt.Sprintf("model: RegisterKind %q needs defaults and build", kind))
	}
	Register(kind, Spec{
		New: func(hyper []byte, init bool) (Model, error) {
			h, err := ParseHyper[H, P](hyper, defaults)
			if err != nil {
				return nil, err
			}
			return build(h, init), nil
		},
		NumParams: func(hyper []byte) (int, error) {
			h, err := ParseHyper[H, P](hyper, defaults)
			if err != nil {
				return 0, err
			}
			return P(&h).NumParams(), nil
		},
	})
}
