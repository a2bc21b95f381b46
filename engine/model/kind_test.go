package model_test

import (
	"errors"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
)

type kindHyper struct {
	model.Common
	Width int `json:"width"`
}

func (h kindHyper) Validate() error {
	if h.Width < 1 {
		return errors.New("width must be >= 1")
	}
	return h.Common.Validate()
}

func (h kindHyper) NumParams() int { return h.Width * h.InputSize }

func TestParseHyperSharedDefaultsAndStrictness(t *testing.T) {
	defaults := func() kindHyper { return kindHyper{Width: 3} }
	h, err := model.ParseHyper([]byte(`{"input_size":4,"h":2}`), defaults)
	if err != nil || h.ScalerType != "identity" || h.Width != 3 || h.NumParams() != 12 {
		t.Fatalf("%+v, %v", h, err)
	}
	for _, bad := range []string{`{"input_size":4,"h":2,"nope":1}`, `{"input_size":4,"h":2,"width":0}`, `{"input_size":0,"h":2}`} {
		if _, err := model.ParseHyper([]byte(bad), defaults); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	k := kindHyper{Common: model.Common{InputSize: 2, H: 1}, Width: 1}
	if err := model.CheckHyper(&k); err != nil || k.ScalerType != "identity" {
		t.Fatalf("CheckHyper: %+v, %v", k, err)
	}
}
